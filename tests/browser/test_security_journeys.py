"""Security journeys in Chromium: two-factor by authenticator app (with "Trust this browser"
and a recovery code) and by SMS (a used code refused), and a forgotten password reset by a code
to the phone or the email, which signs the account out everywhere else."""

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import (
    ARTIFACTS,
    account_id_on,
    code_from_outbox,
    finish_sign_up,
    sign_in,
    sign_out,
    totp_code,
)
from tests.helpers import GOOD_PASSWORD
from verification.models import DevOutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+91 98765 43210"
PHONE_E164 = "+919876543210"
EMAIL = "asha@example.com"
NEW_PASSWORD = "Green!Lamp57y"

ACCOUNT_URL = re.compile(r"/account/$")
SECOND_STEP_URL = re.compile(r"/accounts/2fa/authenticate/")
SIGN_IN_URL = re.compile(r"/accounts/login/")


@pytest.fixture
def new_page(portal: Page, browser, live_server) -> Iterator[Callable[[], Page]]:
    """Opens pages in further fresh browser contexts on the same live portal (as `portal`)."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def messages_to(to: str) -> int:
    return DevOutboxMessage.objects.filter(to=to).count()


def new_code_from_outbox(page: Page, to: str, *, before: int) -> str:
    """Wait until the worker has delivered a message to `to` beyond the `before` already in the
    outbox (so an older code is never read), then read the newest code there."""
    deadline = time.monotonic() + 20
    while messages_to(to) <= before:
        assert time.monotonic() < deadline, f"no new message reached the outbox for {to}"
        time.sleep(0.2)
    return code_from_outbox(page, to)


def sign_up_by_phone(page: Page) -> str:
    page.goto("/accounts/signup/")
    page.get_by_label("Country/Region").select_option("IN")
    page.get_by_label("Phone number").fill("98765 43210")
    page.get_by_label("CAPTCHA").fill("PASSED")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code")
    finish_sign_up(page, code_from_outbox(page, PHONE_E164))
    return account_id_on(page)


def sign_up_by_email(page: Page) -> str:
    page.goto("/accounts/signup/")
    page.get_by_role("link", name="Email").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("CAPTCHA").fill("PASSED")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code")
    finish_sign_up(page, code_from_outbox(page, EMAIL))
    return account_id_on(page)


def enter_password(page: Page, login: str, password: str = GOOD_PASSWORD) -> None:
    """The first step of sign-in, wherever it leads."""
    page.goto("/accounts/login/")
    page.get_by_label("Phone number, email or account ID").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def confirm_with_password(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/account/verify/"))
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def open_two_factor_from_checkup(page: Page) -> None:
    page.goto("/account/")
    page.get_by_role("link", name="Turn on: Two-factor authentication").click()
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))


def test_authenticator_app_then_trusted_browser_skips_the_code_and_new_ones_are_asked(
    portal: Page, new_page
):
    page = portal
    account_id = sign_up_by_phone(page)
    open_two_factor_from_checkup(page)
    page.get_by_role("link", name="Set up the authenticator app").click()
    confirm_with_password(page)

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    key = page.get_by_test_id("totp-key").input_value().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", key), key
    shot(page, "totp-activate")
    code, used_step = totp_code(key)
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Turn on").click()

    recovery_codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(recovery_codes.first).to_be_visible()
    codes = [text.strip() for text in recovery_codes.all_inner_texts()]
    assert len(codes) >= 8 and len(set(codes)) == len(codes), codes
    shot(page, "totp-recovery-codes")
    page.goto("/account/")
    expect(page.get_by_text("On: authenticator app")).to_be_visible()
    sign_out(page)

    # A new browser: the password alone is not enough.
    trusted = new_page()
    enter_password(trusted, PHONE)
    expect(trusted).to_have_url(SECOND_STEP_URL)
    shot(trusted, "totp-second-step")
    code, used_step = totp_code(key, after_step=used_step)
    trusted.get_by_label("Verification code").fill(code)
    trusted.get_by_label("Trust this browser").check()
    trusted.get_by_role("button", name="Verify").click()
    expect(trusted).to_have_url(ACCOUNT_URL)
    assert account_id_on(trusted) == account_id

    # The trusted browser signs in with the password alone.
    sign_out(trusted)
    sign_in(trusted, PHONE)
    assert account_id_on(trusted) == account_id
    sign_out(trusted)

    # Any other browser is asked again; a recovery code answers once.
    other = new_page()
    enter_password(other, PHONE)
    expect(other).to_have_url(SECOND_STEP_URL)
    expect(other.get_by_label("Verification code")).to_be_visible()
    other.get_by_label("Verification code").fill(codes[0])
    other.get_by_role("button", name="Verify").click()
    expect(other).to_have_url(ACCOUNT_URL)
    assert account_id_on(other) == account_id
    sign_out(other)


def test_sms_second_factor_asks_a_texted_code_and_refuses_a_used_one(
    portal: Page, new_page, settings
):
    settings.VERIFICATION_RESEND_COOLDOWN = 1
    page = portal
    account_id = sign_up_by_phone(page)
    open_two_factor_from_checkup(page)
    page.get_by_role("link", name="Set up SMS codes").click()
    confirm_with_password(page)

    expect(page).to_have_url(re.compile(r"/account/two-factor/sms/"))
    before = messages_to(PHONE_E164)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a 6-digit code")
    shot(page, "sms-setup-code-sent")
    code = new_code_from_outbox(page, PHONE_E164, before=before)
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("recovery-codes").locator("li").first).to_be_visible()
    page.goto("/account/")
    expect(page.get_by_text("On: SMS")).to_be_visible()
    sign_out(page)

    # A new browser: a code texted to the phone completes the sign-in.
    first = new_page()
    enter_password(first, PHONE)
    expect(first).to_have_url(SECOND_STEP_URL)
    before = messages_to(PHONE_E164)
    first.get_by_role("button", name="Send code").click()
    expect(first.get_by_role("status")).to_contain_text("We sent a 6-digit code")
    used_code = new_code_from_outbox(first, PHONE_E164, before=before)
    first.get_by_label("Verification code").fill(used_code)
    first.get_by_role("button", name="Verify").click()
    expect(first).to_have_url(ACCOUNT_URL)
    assert account_id_on(first) == account_id
    sign_out(first)

    # Not trusted, so another new browser is asked again; the used code is refused.
    second = new_page()
    enter_password(second, PHONE)
    expect(second).to_have_url(SECOND_STEP_URL)
    time.sleep(1.1)  # the resend cooldown of this test
    before = messages_to(PHONE_E164)
    second.get_by_role("button", name="Send code").click()
    expect(second.get_by_role("status")).to_contain_text("We sent a 6-digit code")
    new_code = new_code_from_outbox(second, PHONE_E164, before=before)
    assert new_code != used_code
    second.get_by_label("Verification code").fill(used_code)
    second.get_by_role("button", name="Verify").click()
    expect(second.get_by_role("alert").first).to_be_visible()
    expect(second).to_have_url(SECOND_STEP_URL)
    shot(second, "sms-second-step-used-code-refused")
    second.get_by_label("Verification code").fill(new_code)
    second.get_by_role("button", name="Verify").click()
    expect(second).to_have_url(ACCOUNT_URL)
    assert account_id_on(second) == account_id
    sign_out(second)


@pytest.mark.parametrize("method", ["phone", "email"])
def test_forgotten_password_reset_by_code_signs_in_and_ends_other_sessions(
    portal: Page, new_page, method
):
    signed_in = portal
    if method == "phone":
        account_id, login, to = sign_up_by_phone(signed_in), PHONE, PHONE_E164
    else:
        account_id, login, to = sign_up_by_email(signed_in), EMAIL, EMAIL

    page = new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/"))
    if method == "phone":
        page.get_by_label("Country/Region").select_option("IN")
        page.get_by_label("Phone number").fill("98765 43210")
    else:
        page.get_by_role("main").get_by_role("link", name="Email", exact=True).click()
        page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("CAPTCHA").fill("PASSED")
    before = messages_to(to)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("we sent it a 6-digit code")
    code = new_code_from_outbox(page, to, before=before)
    page.get_by_label("Verification code").fill(code)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    shot(page, f"password-reset-{method}")
    page.get_by_role("button", name="Reset password").click()

    expect(page).to_have_url(SIGN_IN_URL)
    expect(page.get_by_role("status")).to_contain_text("Your password was reset")
    enter_password(page, login, GOOD_PASSWORD)
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page).to_have_url(SIGN_IN_URL)
    enter_password(page, login, NEW_PASSWORD)
    expect(page).to_have_url(ACCOUNT_URL)
    assert account_id_on(page) == account_id

    # The browser that stayed signed in with the old password is signed out.
    signed_in.reload()
    expect(signed_in).to_have_url(SIGN_IN_URL)
    expect(signed_in.get_by_label("Phone number, email or account ID")).to_be_visible()
