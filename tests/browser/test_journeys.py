"""Whole journeys in Chromium: sign up by phone and by email reading the code from the dev
outbox, sign in with the phone, the email and the account ID, sign out."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import (
    ARTIFACTS,
    account_id_on,
    code_from_outbox,
    finish_sign_up,
    sign_in,
    sign_out,
)

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
