"""Whole journeys in Chromium: sign up by phone and by email reading the code from the dev
outbox, sign in with the phone, the email and the account ID, sign out."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.helpers import GOOD_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_from_outbox(page: Page, to: str) -> str:
    """Open the dev outbox in a new tab, as a developer would, and read the newest code to `to`."""
    outbox = page.context.new_page()
    try:
        deadline = time.monotonic() + 20
        while True:
            outbox.goto("/dev/outbox/")
            item = outbox.locator(".outbox-item", has=outbox.locator(".to", has_text=to)).first
            if item.count():
                match = re.search(r"\b(\d{6})\b", item.locator(".body").inner_text())
                if match:
                    return match.group(1)
            assert time.monotonic() < deadline, f"no code reached the outbox for {to}"
            time.sleep(0.3)
    finally:
        outbox.close()


def finish_sign_up(page: Page, code: str, *, press_enter: bool = False) -> None:
    page.get_by_label(re.compile("Terms of Service")).check()
    page.get_by_label("Verification code").fill(code)
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("Confirm password").fill(GOOD_PASSWORD)
    if press_enter:
        page.get_by_label("Confirm password").press("Enter")
    else:
        page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def account_id_on(page: Page) -> str:
    account_id = page.get_by_test_id("account-id").inner_text().strip()
    assert re.fullmatch(r"[1-9]\d{9}", account_id)
    return account_id


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def sign_in(page: Page, login: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Phone number, email or account ID").fill(login)
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def test_phone_sign_up_then_sign_in_with_phone_and_account_id(portal: Page):
    page = portal
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Create account").click()
    page.get_by_label("Country/Region").select_option("IN")
    page.get_by_label("Phone number").fill("98765 43210")
    page.get_by_label("CAPTCHA").fill("PASSED")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code to +91 98765 43210")
    page.screenshot(path=str(ARTIFACTS / "signup-phone-code-sent.png"), full_page=True)

    finish_sign_up(page, code_from_outbox(page, "+919876543210"))
    expect(page.get_by_text("+91 98765 43210")).to_be_visible()
    account_id = account_id_on(page)
    page.screenshot(path=str(ARTIFACTS / "account-page.png"), full_page=True)

    sign_out(page)
    sign_in(page, "+91 98765 43210")
    assert account_id_on(page) == account_id
    sign_out(page)
    sign_in(page, account_id)
    assert account_id_on(page) == account_id
    sign_out(page)


def test_email_sign_up_then_sign_in_with_email(portal: Page):
    page = portal
    page.goto("/accounts/signup/")
    page.get_by_role("link", name="Email").click()
    page.get_by_label("Email").fill("asha@example.com")
    page.get_by_label("CAPTCHA").fill("PASSED")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code to asha@example.com")

    finish_sign_up(page, code_from_outbox(page, "asha@example.com"), press_enter=True)
    expect(page.get_by_text("asha@example.com")).to_be_visible()
    account_id = account_id_on(page)

    sign_out(page)
    sign_in(page, "asha@example.com")
    assert account_id_on(page) == account_id
    sign_out(page)


def test_bad_input_is_explained_on_the_page(portal: Page):
    page = portal
    page.goto("/accounts/signup/")
    # The browser says en-US, so the picker starts on the US: these are Indian numbers.
    page.get_by_label("Country/Region").select_option("IN")
    page.get_by_label("Phone number").fill("11 2345 6789")
    page.get_by_label("CAPTCHA").fill("PASSED")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("alert").first).to_contain_text("landline")

    page.get_by_label("Phone number").fill("98765 43210")
    page.get_by_label("CAPTCHA").fill("wrong")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("alert").first).to_contain_text("CAPTCHA answer was wrong")

    before = page.locator("img.captcha").get_attribute("src")
    page.get_by_role("button", name="New picture").click()
    expect(page.locator("img.captcha")).not_to_have_attribute("src", before)
    page.screenshot(path=str(ARTIFACTS / "signup-errors.png"), full_page=True)
