"""Whole journeys in Chromium: sign up by phone and by email reading the code from the dev
outbox, sign in with the phone, the email and the account ID, sign out."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from accounts import time_zones
from accounts.models import User
from tests.browser.pages import (
    ARTIFACTS,
    account_id_on,
    code_from_outbox,
    finish_sign_up,
    sign_in,
    sign_out,
)
from tests.helpers import GOOD_PASSWORD
from verification.models import DevOutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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

    browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    finish_sign_up(page, code_from_outbox(page, "+919876543210"))
    expect(page.get_by_text("+91 98765 43210")).to_be_visible()
    account_id = account_id_on(page)
    # The account keeps the browser's time zone (sent by the sign-up form's hidden field).
    assert User.objects.get().time_zone == time_zones.valid(browser_zone)
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
    # A wrong CAPTCHA answer: said so, and "New picture" brings another in place.
    page.get_by_label("Country/Region").select_option("IN")
    page.get_by_label("Phone number").fill("98765 43210")
    page.get_by_label("CAPTCHA").fill("wrong")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("alert").first).to_contain_text("CAPTCHA answer was wrong")
    before = page.locator("img.captcha").get_attribute("src")
    page.get_by_role("button", name="New picture").click()
    expect(page.locator("img.captcha")).not_to_have_attribute("src", before)
    page.screenshot(path=str(ARTIFACTS / "signup-errors.png"), full_page=True)

    # A landline, CAPTCHA right: the number is explained, and the CAPTCHA is not asked again.
    page.get_by_label("Phone number").fill("11 2345 6789")
    page.get_by_label("CAPTCHA").fill("PASSED")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("alert").first).to_contain_text("landline")
    expect(page.get_by_label("CAPTCHA")).to_have_count(0)

    # The browser says en-US: an Indian number with the US chosen names the country it fits.
    page.get_by_label("Country/Region").select_option("US")
    page.get_by_label("Phone number").fill("98765 43210")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("alert").first).to_contain_text("it is one for India (+91)")
    page.get_by_label("Country/Region").select_option("IN")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code to +91 98765 43210")


def test_the_code_step_counts_down_to_resend_ticks_the_password_rules_and_goes_back(
    portal: Page, settings
):
    settings.VERIFICATION_RESEND_COOLDOWN = 3
    page = portal
    page.goto("/accounts/signup/")
    page.get_by_label("Country/Region").select_option("IN")
    page.get_by_label("Phone number").fill("98765 43210")
    page.get_by_label("CAPTCHA").fill("PASSED")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text("Step 2 of 2")).to_be_visible()

    # The resend button shows the seconds left and comes back by itself.
    resend = page.locator("[data-resend-button]")
    expect(resend).to_be_disabled()
    expect(resend).to_have_text(re.compile(r"Resend code \([1-3]\)"))
    expect(resend).to_be_enabled(timeout=6000)
    expect(resend).to_have_text("Resend code")
    # A resend in the same sign-up needs no new CAPTCHA.
    resend.click()
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code")
    expect(page.get_by_label("CAPTCHA")).to_have_count(0)
    deadline = time.monotonic() + 20
    while DevOutboxMessage.objects.filter(to="+919876543210").count() < 2:
        assert time.monotonic() < deadline, "the second code never reached the outbox"
        time.sleep(0.2)

    # The password rules tick off as the person types.
    rules = page.locator("[data-password-rules] li")
    length = rules.filter(has_text="At least 8 characters")
    page.get_by_label("Password", exact=True).fill("abc")
    expect(length).not_to_have_class(re.compile("met"))
    expect(rules.filter(has_text="A lower-case letter")).to_have_class(re.compile("met"))
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    for rule in ("At least 8", "upper-case", "lower-case", "A digit", "A symbol"):
        expect(rules.filter(has_text=rule)).to_have_class(re.compile("met"))
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "signup-step-two-360.png"), full_page=True)

    # "Change number" goes back to the first step, with a new CAPTCHA.
    page.get_by_role("link", name="Change number").click()
    expect(page.get_by_text("Step 1 of 2")).to_be_visible()
    expect(page.get_by_label("Phone number")).to_have_value("98765 43210")
    expect(page.get_by_label("CAPTCHA")).to_be_visible()
