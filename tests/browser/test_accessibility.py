"""Every page of the portal audited in Chromium with axe-core, in each language (asked for with
Accept-Language), signed out and signed in, with form errors shown: no violation of serious or
critical impact. Each page is also laid out at 360 px (no sideways scroll, nothing cut off) with
screenshots at 360 and 1280 px in test-artifacts/screenshots/<language>/.

The pages are reached through the front door, driven by field names rather than label texts so
that the same steps work in every language."""

import re
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from accounts.actions.moderation import moderate
from accounts.models import ModerationAction, User
from cloud.actions import report_usage
from devices.enrolment import enroll_device
from devices.locations import Fix, record_locations
from ecosystem.actions import register_app
from tests.browser.accessibility import Findings, audit, new_audit_context
from tests.browser.pages import totp_code
from tests.helpers import GOOD_PASSWORD, code_sent_to, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hans", "hi"]
PHONE = "+919876543210"
SUSPENDED_EMAIL = "held@example.com"


def submit(page: Page, form: str = "main form") -> None:
    """Press the first submit button of the form (the one Enter would press)."""
    page.locator(form).first.locator("button[type=submit]").first.click()
    page.wait_for_load_state("load")


def send_signup_code(page: Page, captcha: str) -> None:
    page.locator("#id_country").select_option("IN")
    page.locator("#id_phone").fill("98765 43210")
    page.locator("#id_captcha_1").fill(captcha)
    page.locator("button[name=action][value=send]").click()
    page.wait_for_load_state("load")


def sign_up_with_errors_on_the_way(page: Page, findings: Findings) -> None:
    page.goto("/accounts/signup/")
    audit(page, "signup", findings)
    page.goto("/accounts/signup/?method=email")
    audit(page, "signup-email", findings)
    page.goto("/accounts/signup/")
    send_signup_code(page, captcha="WRONG")
    expect(page.locator("#id_captcha_1")).to_have_attribute("aria-invalid", "true")
    audit(page, "signup-captcha-error", findings)
    send_signup_code(page, captcha="PASSED")
    audit(page, "signup-code-sent", findings)
    # A wrong code, passwords that differ and no consent: every error at once, focus on the
    # first.
    page.locator("#id_code").fill("000000")
    page.locator("#id_password1").fill(GOOD_PASSWORD)
    page.locator("#id_password2").fill("Another!Pass99")
    submit(page, "form.step")
    expect(page.locator("#id_password2")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_terms")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_code")).to_be_focused()
    audit(page, "signup-form-errors", findings)
    # A wrong code.
    page.locator("#id_code").fill("000000")
    page.locator("#id_password1").fill(GOOD_PASSWORD)
    page.locator("#id_password2").fill(GOOD_PASSWORD)
    page.locator("#id_terms").check()
    submit(page, "form.step")
    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_code")).to_be_focused()
    audit(page, "signup-bad-code", findings)
    page.locator("#id_code").fill(code_sent_to(PHONE))
    page.locator("#id_password1").fill(GOOD_PASSWORD)
    page.locator("#id_password2").fill(GOOD_PASSWORD)
    page.locator("#id_terms").check()
    submit(page, "form.step")
    expect(page).to_have_url(re.compile(r"/account/$"))


def confirm_with_password_if_asked(page: Page, findings: Findings, name: str) -> None:
    if "/account/verify/" in page.url:
        audit(page, name, findings)
        page.locator("#id_password").fill(GOOD_PASSWORD)
        submit(page)


def add_phone_with_a_location(user: User) -> str:
    device, _token = enroll_device(
        user=user, name="Asha's phone", model="Pixel 8", platform="android", hardware_id="imei-1"
    )
    record_locations(
        device=device,
        fixes=[Fix(28.61394, 77.20902, 25.0, 81, timezone.now() - timedelta(minutes=3))],
    )
    return str(device.public_id)


def audit_signed_in_pages(page: Page, findings: Findings, user: User) -> list[str]:
    """The account's pages; returns the recovery codes shown when the authenticator app is
    turned on."""
    for name, path in [
        ("account", "/account/"),
        ("security-log", "/account/security-log/"),
        ("sessions", "/account/sessions/"),
        ("two-factor", "/account/two-factor/"),
        ("two-factor-sms", "/account/two-factor/sms/"),
        ("cloud", "/cloud/"),
    ]:
        page.goto(path)
        audit(page, name, findings)

    # Turning a category off without JavaScript's help asks what becomes of its data (when
    # something is stored: a phone reported some contacts).
    phone, _token = enroll_device(
        user=user, name="Asha's tablet", model="Pad 6", platform="android", hardware_id="imei-2"
    )
    report_usage(device=phone, usage={"contacts": 2048})
    with page.expect_navigation():
        page.locator(".switch-form[data-category=contacts]").evaluate(
            "form => { form.elements.enabled.checked = false; form.submit(); }"
        )
    audit(page, "cloud-turn-off", findings)
    page.locator("button[name=data][value=keep]").click()
    expect(page.get_by_role("status").first).to_be_visible()
    audit(page, "cloud-turned-off-message", findings)

    device_id = add_phone_with_a_location(user)
    page.goto("/devices/")
    audit(page, "devices", findings)
    page.goto(f"/devices/{device_id}/")
    expect(page.locator("#map")).to_be_visible()  # Leaflet drew it (the tiles are offline)
    # Offline, the page says the map could not load; the place is written out and linked.
    expect(page.locator("#map-failed")).to_be_visible()
    # The map's own controls speak the page's language, not Leaflet's English.
    with translation.override(findings.language):
        zoom_in, marker = gettext("Zoom in"), gettext("Where the device was")
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("title", zoom_in)
    expect(page.locator(".leaflet-marker-icon")).to_have_attribute("alt", marker)
    expect(page.locator("#open-in-maps")).to_have_attribute("href", re.compile(r"mlat=28\.61394"))
    audit(page, "device", findings)
    page.goto(f"/devices/{device_id}/erase/")
    confirm_with_password_if_asked(page, findings, "reauthenticate-password")
    expect(page).to_have_url(re.compile(r"/erase/$"))
    audit(page, "device-erase", findings)
    page.goto(f"/devices/{device_id}/remove/")
    audit(page, "device-remove", findings)

    for name, path in [
        ("recovery-phone", "/account/recovery/phone/"),
        ("recovery-email", "/account/recovery/email/"),
        ("change-password", "/accounts/password/change/"),
        ("delete-account", "/account/delete/"),
    ]:
        page.goto(path)
        audit(page, name, findings)
    page.goto("/account/recovery/email/")
    page.locator("#id_email").fill("not an address")
    page.locator("button[name=action][value=send]").click()
    page.wait_for_load_state("load")
    audit(page, "recovery-email-error", findings)
    page.goto("/accounts/password/change/")
    submit(page)
    audit(page, "change-password-errors", findings)

    # Two-factor by authenticator app: set up (a wrong code first), its codes, turning it off.
    page.goto("/accounts/2fa/totp/activate/")
    audit(page, "totp-activate", findings)
    key = page.get_by_test_id("totp-key").input_value().replace(" ", "")
    page.locator("#id_code").fill("000000")
    submit(page, "form.step")
    audit(page, "totp-activate-error", findings)
    code, _step = totp_code(key)
    page.locator("#id_code").fill(code)
    submit(page, "form.step")
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes.first).to_be_visible()
    recovery_codes = [text.strip() for text in codes.all_inner_texts()]
    audit(page, "recovery-codes", findings)
    page.goto("/account/two-factor/")
    audit(page, "two-factor-app-on", findings)
    page.goto("/account/two-factor/recovery-codes/")
    if "/account/verify/" in page.url:  # the second factor, now that it is on
        audit(page, "reauthenticate-second-factor", findings)
        page.locator("#id_code").fill(recovery_codes.pop())
        submit(page)
    audit(page, "recovery-codes-generate", findings)
    page.goto("/accounts/2fa/totp/deactivate/")
    audit(page, "totp-deactivate", findings)
    return recovery_codes


def audit_ecosystem_pages(page: Page, findings: Findings) -> None:
    """Ecosystem sign-in: the apps page empty, the consent page, the app on the apps page, the
    device grant's pages and the provider's error page."""
    app = register_app(
        name="Mi Home", redirect_uris=["http://127.0.0.1:9/cb"], public=True, device_grant=True
    ).client
    # The home app's own page (nothing listens there): answered in the browser.
    page.route("http://127.0.0.1:9/**", lambda route: route.fulfill(body="<p>Mi Home</p>"))
    page.goto("/account/apps/")
    audit(page, "apps-empty", findings)
    authorize = (
        f"/identity/o/authorize?response_type=code&client_id={app.id}"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid+phone+email+profile"
        "&state=s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        "&code_challenge_method=S256"
    )
    page.goto(authorize)
    audit(page, "oidc-consent", findings)
    page.locator("button[name=action][value=grant]").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:9/cb\?code="))
    page.goto("/account/apps/")
    audit(page, "apps", findings)
    page.goto(authorize.replace("%2Fcb", "%2Felsewhere"))
    audit(page, "oidc-error", findings)

    base = re.match(r"https?://[^/]+", page.url).group(0)
    started = requests.post(
        f"{base}/identity/o/api/device/code", data={"client_id": app.id}, timeout=10
    ).json()
    page.goto("/identity/o/device")
    audit(page, "device-code", findings)
    page.locator("#id_code").fill("WRONG-CODE")
    submit(page)
    audit(page, "device-code-error", findings)
    page.goto(f"/identity/o/device?code={started['user_code']}")
    audit(page, "device-confirm", findings)
    page.locator("button[name=action][value=confirm]").click()
    page.wait_for_load_state("load")
    audit(page, "device-confirmed", findings)


def audit_signing_in(page: Page, findings: Findings, recovery_code: str) -> None:
    page.goto("/accounts/login/")
    audit(page, "sign-in", findings)
    page.locator("#id_login").fill(PHONE)
    page.locator("#id_password").fill("Wrong!Pass123")
    submit(page)
    audit(page, "sign-in-error", findings)
    page.locator("#id_password").fill(GOOD_PASSWORD)
    submit(page)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    audit(page, "second-factor", findings)
    page.locator("#id_code").fill("123")
    page.locator("button[name=action][value=verify]").click()
    page.wait_for_load_state("load")
    audit(page, "second-factor-error", findings)
    page.locator("#id_code").fill(recovery_code)
    page.locator("button[name=action][value=verify]").click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def audit_signed_out_pages(page: Page, findings: Findings) -> None:
    for name, path in [
        ("home", "/"),
        ("terms", "/legal/terms/"),
        ("privacy", "/legal/privacy/"),
        ("password-reset", "/accounts/password/reset/"),
        ("dev-outbox", "/dev/outbox/"),
    ]:
        page.goto(path)
        audit(page, name, findings)
    page.goto("/accounts/password/reset/?method=email")
    page.locator("#id_email").fill("asha@example")
    page.locator("#id_captcha_1").fill("PASSED")
    page.locator("button[name=action][value=send]").click()
    page.wait_for_load_state("load")
    audit(page, "password-reset-error", findings)

    page.goto("/accounts/login/")
    page.locator("#id_login").fill(SUSPENDED_EMAIL)
    page.locator("#id_password").fill(GOOD_PASSWORD)
    submit(page)
    audit(page, "account-restricted", findings)


def suspend_an_account() -> None:
    sign_up(Client(), email=SUSPENDED_EMAIL)
    staff = User.objects.create_superuser(email="staff@example.com", password=GOOD_PASSWORD)
    moderate(
        user=User.objects.get(email=SUSPENDED_EMAIL),
        actor=staff,
        action=ModerationAction.Action.SUSPEND,
        reason="Reported for spam",
        share_reason=True,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_passes_axe_and_fits_360_px(browser, live_server, settings, language):
    settings.DEBUG = True  # the dev outbox
    findings = Findings(language)
    suspend_an_account()

    signed_in = new_audit_context(browser, live_server.url, language)
    signed_out = new_audit_context(browser, live_server.url, language)
    try:
        page = signed_in.new_page()
        sign_up_with_errors_on_the_way(page, findings)
        recovery_codes = audit_signed_in_pages(page, findings, User.objects.get(phone=PHONE))
        audit_ecosystem_pages(page, findings)
        page.goto("/accounts/2fa/webauthn/")
        audit(page, "passkeys", findings)
        page.goto("/accounts/2fa/webauthn/add/")
        confirm_with_password_if_asked(page, findings, "reauthenticate-for-passkey")
        audit(page, "passkey-add", findings)
        other = signed_out.new_page()
        audit_signed_out_pages(other, findings)
        audit_signing_in(other, findings, recovery_codes.pop())
    finally:
        signed_in.close()
        signed_out.close()

    assert len(findings.pages) >= 51, findings.pages
    assert not findings.problems, findings.report()


def test_the_audit_reports_what_axe_and_the_layout_check_find(browser):
    """The checks above can fail: an unlabelled field, a picture with no text alternative and
    a box wider than the screen are reported with their rule, impact and element."""
    context = new_audit_context(browser, "http://127.0.0.1", "en")
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="en"><head><title>Broken</title></head><body><main>'
            '<h1>Broken</h1><img src="data:,"><input type="text" id="who">'
            '<div class="wide" style="width: 600px">Too wide</div></main></body></html>'
        )
        findings = Findings("en")
        audit(page, "broken", findings, screenshots=False)
    finally:
        context.close()
    report = findings.report()
    assert "image-alt [critical]" in report
    assert "label [critical]" in report and "#who" in report
    assert "at 360 px: scrollWidth 6" in report and "div.wide" in report
