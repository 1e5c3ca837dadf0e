"""Passkeys in Chromium with a virtual authenticator (the DevTools Protocol's WebAuthn domain,
through Playwright's CDP session): add one behind re-authentication, sign out, sign in with it
and no password, remove it; each change in the security log and told to the person. A passkey
as the second factor after a password and at re-authentication; an answer made for another
origin refused."""

import base64
import json
import re
from urllib.parse import parse_qs, urlencode

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import SecurityEvent, User
from tests.browser.accessibility import AXE_SOURCE, Findings, audit
from tests.browser.pages import ARTIFACTS, sign_in, sign_out
from tests.helpers import GOOD_PASSWORD, sign_up
from verification.models import DevOutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+919876543210"


def with_virtual_authenticator(page: Page) -> str:
    """A platform authenticator (like a phone's or laptop's) that keeps passkeys and verifies
    the person at once; returns its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return added["authenticatorId"]


def confirm_with_password(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/(account/verify|accounts/reauthenticate)/"))
    page.locator("#id_password").fill(GOOD_PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def test_a_passkey_is_added_signs_in_without_a_password_and_is_removed(portal: Page):
    sign_up(Client(), phone="98765 43210")
    user = User.objects.get(phone=PHONE)
    with_virtual_authenticator(portal)
    sign_in(portal, PHONE)

    portal.goto("/account/two-factor/")
    portal.get_by_role("link", name="Add a passkey").click()
    confirm_with_password(portal)
    expect(portal.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    portal.get_by_label("Name of this passkey").fill("Asha's laptop")
    portal.screenshot(path=str(ARTIFACTS / "passkey-add.png"), full_page=True)
    portal.get_by_role("button", name="Add a passkey").click()
    # The first passkey comes with recovery codes, shown once.
    expect(portal).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    portal.goto("/accounts/2fa/webauthn/")
    expect(portal.get_by_text("Asha's laptop")).to_be_visible()
    portal.screenshot(path=str(ARTIFACTS / "passkey-list.png"), full_page=True)
    kinds = SecurityEvent.Kind
    assert SecurityEvent.objects.filter(user=user, kind=kinds.PASSKEY_ADDED).count() == 1
    assert DevOutboxMessage.objects.filter(to=PHONE, body__contains="Asha's laptop").exists()

    portal.goto("/account/")
    sign_out(portal)
    portal.goto("/accounts/login/")
    portal.get_by_role("button", name="Sign in with a passkey").click()
    expect(portal).to_have_url(re.compile(r"/account/$"))
    assert SecurityEvent.objects.filter(user=user, kind=kinds.SIGNED_IN).count() >= 2

    portal.goto("/accounts/2fa/webauthn/")
    portal.get_by_role("link", name="Remove: Asha's laptop").click()
    if "/reauthenticate/" in portal.url or "/account/verify/" in portal.url:
        confirm_with_password(portal)
    portal.get_by_role("button", name="Remove").click()
    expect(portal.get_by_text("You have no passkey yet.")).to_be_visible()
    assert SecurityEvent.objects.filter(user=user, kind=kinds.PASSKEY_REMOVED).count() == 1

    # Losing every passkey locks nobody out: the password still signs in.
    portal.goto("/account/")
    sign_out(portal)
    sign_in(portal, PHONE)


def test_a_passkey_is_the_second_factor_after_a_password(portal: Page):
    portal.context.add_init_script(script=AXE_SOURCE)  # its pages are audited on the way
    sign_up(Client(), phone="98765 43210")
    user = User.objects.get(phone=PHONE)
    with_virtual_authenticator(portal)
    sign_in(portal, PHONE)
    portal.goto("/accounts/2fa/webauthn/add/")
    confirm_with_password(portal)
    portal.get_by_role("button", name="Add a passkey").click()
    expect(portal).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    assert portal.get_by_test_id("recovery-codes").locator("li").count() > 0

    # Signing in with the password now asks for the passkey as the second factor.
    portal.goto("/account/")
    sign_out(portal)
    portal.goto("/accounts/login/")
    portal.get_by_label("Phone number, email or account ID").fill(PHONE)
    portal.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    portal.get_by_role("button", name="Sign in", exact=True).click()
    expect(portal).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    findings = Findings("en")
    audit(portal, "second-factor-passkey", findings)
    portal.get_by_role("button", name="Use a passkey").click()
    expect(portal).to_have_url(re.compile(r"/account/$"))
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.SIGNED_IN).count() >= 2

    # Re-authenticating for a sensitive change takes the passkey too.
    portal.goto("/account/two-factor/sms/")
    if "method=passkey" not in portal.url:
        portal.get_by_role("link", name="Passkey").click()
    audit(portal, "reauthenticate-passkey", findings)
    portal.get_by_role("button", name="Use a passkey").click()
    expect(portal).to_have_url(re.compile(r"/account/two-factor/sms/"))
    assert not findings.problems, findings.report()


def test_an_assertion_made_for_another_origin_is_refused(portal: Page):
    """A phishing page cannot replay a passkey's answer: one whose signed client data names
    another origin does not sign in (the browser itself would not answer another site; here
    the answer is rewritten on its way, as a man in the middle would)."""
    sign_up(Client(), phone="98765 43210")
    with_virtual_authenticator(portal)
    sign_in(portal, PHONE)
    portal.goto("/accounts/2fa/webauthn/add/")
    confirm_with_password(portal)
    portal.get_by_role("button", name="Add a passkey").click()
    expect(portal).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    portal.goto("/account/")
    sign_out(portal)

    def elsewhere(route) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        form = parse_qs(request.post_data or "")
        credential = json.loads(form["credential"][0])
        data = json.loads(_b64decode(credential["response"]["clientDataJSON"]))
        data["origin"] = "https://account-portal.example.net"
        credential["response"]["clientDataJSON"] = _b64encode(json.dumps(data).encode())
        form["credential"] = [json.dumps(credential)]
        route.continue_(post_data=urlencode(form, doseq=True))

    portal.route("**/accounts/2fa/webauthn/login/", elsewhere)
    portal.goto("/accounts/login/")
    with portal.expect_response(
        lambda answer: answer.request.method == "POST" and "/webauthn/login/" in answer.url
    ) as refused:
        portal.get_by_role("button", name="Sign in with a passkey").click()
    assert refused.value.status == 302
    assert refused.value.headers["location"].endswith("/accounts/login/")
    portal.wait_for_load_state("load")
    portal.goto("/account/")
    expect(portal).to_have_url(re.compile(r"/accounts/login/"))  # not signed in


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
