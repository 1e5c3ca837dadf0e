"""What the browser tests do on the portal's pages (Playwright): read a code from the dev
outbox, finish a sign-up, read the account ID, sign in and out, an authenticator app's code;
and where their screenshots go."""

import re
import time
from pathlib import Path

import pyotp
from playwright.sync_api import Page, expect

from tests.helpers import GOOD_PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOTP_PERIOD = 30


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
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def totp_code(key: str, *, after_step: int = -1) -> tuple[str, int]:
    """The authenticator app's code now, and its time step. It waits for a step later than
    `after_step` (a used code is refused for the rest of its step), and for a step with a few
    seconds left so the portal checks the code in the same step."""
    while True:
        now = time.time()
        step = int(now // TOTP_PERIOD)
        left = TOTP_PERIOD - now % TOTP_PERIOD
        if step > after_step and left > 3:
            return pyotp.TOTP(key).at(now), step
        time.sleep(left + 0.2)
