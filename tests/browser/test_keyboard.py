"""The keyboard alone: an email sign-up from the home page with Tab, Shift+Tab, Enter and Space
(and typing into the focused field), a new CAPTCHA picture on the way, the focus ring drawn at
each stop. Also the CAPTCHA's "New picture" without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import code_sent_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "keys@example.com"
PASSWORD = "Blue!Kite42x"

# The focused element and whether a focus indicator is drawn on it (an outline or a shadow).
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "",
    value: el.getAttribute("value") || "", text: (el.innerText || "").trim(),
    ring: outline || style.boxShadow !== "none",
  };
}"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, selector: str, *, most: int = 25, key: str = "Tab") -> dict:
    """Press Tab (or Shift+Tab) until the element matching `selector` has focus; every stop on
    the way must show where the focus is."""
    for _ in range(most):
        page.keyboard.press(key)
        now = focused(page)
        assert now["ring"], f"no visible focus on {now}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return now
    raise AssertionError(f"{selector} not reached with {most} presses of {key}")


def test_email_sign_up_with_the_keyboard_alone(portal: Page):
    page = portal
    page.goto("/")

    # The first Tab shows the skip link; it leads into the main content.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    assert focused(page)["ring"]
    page.keyboard.press("Enter")
    tab_to(page, "main a[href='/accounts/signup/']", most=2)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))

    # The email tab, then the address.
    tab_to(page, "a[href$='?method=email']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"method=email"))
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)

    # A new CAPTCHA picture: Tab to the button, Enter; focus comes back to the answer.
    tab_to(page, "#id_captcha_1")
    key_before = page.locator("#id_captcha_0").input_value()
    tab_to(page, "button[data-captcha-refresh]")
    page.keyboard.press("Enter")
    expect(page.locator("#id_captcha_1")).to_be_focused()
    expect(page.locator("#id_captcha_0")).not_to_have_value(key_before)
    page.keyboard.type("PASSED")

    # Send code; Shift+Tab goes back the way it came.
    tab_to(page, "button[name=action][value=send]")
    tab_to(page, "button[data-captcha-refresh]", most=3, key="Shift+Tab")
    tab_to(page, "button[name=action][value=send]", most=3)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code")

    # The page comes back with the code field focused.
    expect(page.locator("#id_code")).to_be_focused()
    assert focused(page)["ring"]
    page.keyboard.type(code_sent_to(EMAIL))
    tab_to(page, "#id_password1", most=1)
    page.keyboard.type(PASSWORD)
    tab_to(page, "#id_password2", most=1)
    page.keyboard.type(PASSWORD)
    tab_to(page, "#id_terms", most=1)
    page.keyboard.press("Space")
    expect(page.locator("#id_terms")).to_be_checked()
    tab_to(page, "form.step button[type=submit]", most=4)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_text(EMAIL)).to_be_visible()


def test_a_new_captcha_picture_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/accounts/signup/?method=email")
        key_before = page.locator("#id_captcha_0").input_value()
        picture_before = page.locator("img.captcha").get_attribute("src")
        page.get_by_role("button", name="New picture").click()
        expect(page).to_have_url(re.compile(r"/accounts/signup/\?method=email$"))
        expect(page.locator("#id_captcha_0")).not_to_have_value(key_before)
        expect(page.locator("img.captcha")).not_to_have_attribute("src", picture_before)
        expect(page.get_by_label("Email")).to_be_visible()  # still the email tab
    finally:
        context.close()


def test_checkboxes_and_link_buttons_are_24_px_targets(browser, live_server):
    """WCAG 2.5.8: the sign-up page's consent checkbox, "New picture" and the languages."""
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/accounts/signup/")
        targets = page.locator("main input[type=checkbox], .link-button")
        assert targets.count() >= 4
        for index in range(targets.count()):
            target = targets.nth(index)
            if not target.is_visible():
                continue
            box = target.bounding_box()
            assert box and box["width"] >= 24 and box["height"] >= 24, target.evaluate(
                "e => e.outerHTML"
            )
    finally:
        context.close()
