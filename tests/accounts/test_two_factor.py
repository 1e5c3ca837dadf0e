"""Two-factor: the authenticator app (allauth, RFC 6238), codes by SMS (pyotp), recovery
codes, "Trust this browser", and the second factor needed to change any of it."""

import re

import pyotp
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import SecurityEvent, SmsSecondFactor, User
from tests.helpers import GOOD_PASSWORD, app_code, code_sent_to, last_message_to, sign_in, sign_up
from verification.models import DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "+919876543210"


@pytest.fixture(autouse=True)
def _no_resend_cooldown(settings):
    """Codes go out again at once here; a test about the cooldown sets its own."""
    settings.VERIFICATION_RESEND_COOLDOWN = 0


def confirm_with_password(client, next_url="/"):
    return client.post(
        f"/account/verify/?next={next_url}", {"method": "password", "password": GOOD_PASSWORD}
    )


def turn_on_sms(client) -> list[str]:
    confirm_with_password(client)
    client.post("/account/two-factor/sms/", {"action": "send"})
    done = client.post(
        "/account/two-factor/sms/", {"action": "verify", "code": code_sent_to(PHONE)}
    )
    assert done.status_code == 302 and done.url == "/accounts/2fa/recovery-codes/"
    return list(client.get(done.url).context["unused_codes"])


def turn_on_app(client) -> str:
    confirm_with_password(client)
    page = client.get("/accounts/2fa/totp/activate/")
    key = page.context["form"].secret
    assert page.context["totp_svg_data_uri"].startswith("data:image/svg+xml;base64,")
    done = client.post("/accounts/2fa/totp/activate/", {"code": app_code(key)})
    assert done.status_code == 302
    return key


def test_sms_second_factor_is_asked_in_a_new_browser_and_a_code_works_once(phone_client):
    codes = turn_on_sms(phone_client)
    assert len(codes) == 10
    assert SmsSecondFactor.objects.get().enabled

    browser = Client()
    first = sign_in(browser, PHONE)
    assert first.status_code == 302 and first.url == "/accounts/2fa/authenticate/"
    assert browser.get("/account/").status_code == 302  # not signed in yet
    browser.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    code = code_sent_to(PHONE)
    done = browser.post("/accounts/2fa/authenticate/", {"method": "sms", "code": code})
    assert done.status_code == 302 and done.url == "/account/"

    again = Client()
    sign_in(again, PHONE)
    reused = again.post("/accounts/2fa/authenticate/", {"method": "sms", "code": code})
    assert reused.status_code == 400
    assert "already used" in str(reused.context["form"].errors["code"])
    again.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    fresh = code_sent_to(PHONE)
    assert fresh != code
    assert (
        again.post("/accounts/2fa/authenticate/", {"method": "sms", "code": fresh}).url
        == "/account/"
    )


def test_a_code_asked_again_too_soon_at_sign_in_gets_a_clear_answer(phone_client, settings):
    turn_on_sms(phone_client)
    settings.VERIFICATION_RESEND_COOLDOWN = 60
    browser = Client()
    assert sign_in(browser, PHONE).url == "/accounts/2fa/authenticate/"
    # The code that turned SMS on went out less than a minute ago.
    again = browser.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    assert again.status_code == 400
    assert "You can ask for a new code in" in again.content.decode()


def test_wrong_sms_codes_void_the_code_and_a_resend_keeps_the_count(phone_client):
    turn_on_sms(phone_client)
    browser = Client()
    sign_in(browser, PHONE)
    browser.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    code = code_sent_to(PHONE)
    for _ in range(3):
        browser.post("/accounts/2fa/authenticate/", {"method": "sms", "code": "000000"})
    browser.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    assert code_sent_to(PHONE) == code  # a resend repeats the live code
    browser.post("/accounts/2fa/authenticate/", {"method": "sms", "code": "000000"})
    void = browser.post("/accounts/2fa/authenticate/", {"method": "sms", "code": "000000"})
    assert "too many times" in str(void.context["form"].errors["code"])
    right_but_void = browser.post("/accounts/2fa/authenticate/", {"method": "sms", "code": code})
    assert right_but_void.status_code == 400
    user = User.objects.get(phone=PHONE)
    assert user.security_events.filter(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED).count() == 6


def test_an_sms_code_expires_after_five_minutes(phone_client):
    turn_on_sms(phone_client)
    browser = Client()
    sign_in(browser, PHONE)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        browser.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
        clock.shift(301)
        late = browser.post(
            "/accounts/2fa/authenticate/", {"method": "sms", "code": code_sent_to(PHONE)}
        )
    assert "expired" in str(late.context["form"].errors["code"])


def test_the_authenticator_app_and_trust_this_browser(phone_client):
    key = turn_on_app(phone_client)
    totp = pyotp.TOTP(key)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        browser = Client()
        assert sign_in(browser, PHONE).url == "/accounts/2fa/authenticate/"
        done = browser.post(
            "/accounts/2fa/authenticate/", {"method": "app", "code": totp.now(), "trust": "on"}
        )
        assert done.url == "/account/"
        browser.post("/accounts/logout/")
        assert sign_in(browser, PHONE).url == "/account/"  # trusted: no code

        clock.shift(31)
        other = Client()
        assert sign_in(other, PHONE).url == "/accounts/2fa/authenticate/"
        wrong = other.post("/accounts/2fa/authenticate/", {"method": "app", "code": "000000"})
        assert wrong.status_code == 400
        assert (
            other.post("/accounts/2fa/authenticate/", {"method": "app", "code": totp.now()}).url
            == "/account/"
        )

        clock.shift(31 * 24 * 60 * 60)  # trust lasts 30 days
        browser.post("/accounts/logout/")
        assert sign_in(browser, PHONE).url == "/accounts/2fa/authenticate/"


def test_wrong_app_and_recovery_codes_are_limited_per_account(phone_client):
    key = turn_on_app(phone_client)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        browser = Client()
        sign_in(browser, PHONE)
        for wrong in ("000000", "111111", "222222", "12345678", "87654321"):
            answer = browser.post("/accounts/2fa/authenticate/", {"method": "app", "code": wrong})
            assert answer.status_code == 400
            assert "Too many" not in answer.content.decode()
        # Signing in with the password again does not start a new count.
        other = Client()
        sign_in(other, PHONE)
        totp = pyotp.TOTP(key)
        refused = other.post("/accounts/2fa/authenticate/", {"method": "app", "code": totp.now()})
        assert refused.status_code == 400
        assert "Too many wrong codes. Wait a few minutes" in refused.content.decode()

        clock.shift(5 * 60 + 1)
        done = other.post("/accounts/2fa/authenticate/", {"method": "app", "code": totp.now()})
        assert done.url == "/account/"


def test_the_second_step_gives_the_session_a_new_key_by_one_update(phone_client, settings):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = turn_on_app(phone_client)
    browser = Client()
    assert sign_in(browser, PHONE).url == "/accounts/2fa/authenticate/"
    before = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=before).exists()
    with CaptureQueriesContext(connection) as captured:
        done = browser.post("/accounts/2fa/authenticate/", {"method": "app", "code": app_code(key)})
    assert done.url == "/account/"
    after = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    # The old key names nothing any more: the row now answers to the new one.
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()
    writes = [
        query["sql"]
        for query in captured
        if re.match(r'(INSERT INTO|UPDATE|DELETE FROM) "?django_session\b', query["sql"])
    ]
    assert len(writes) == 1 and writes[0].startswith("UPDATE"), writes
    # The password step's failure counters are cleared by one statement, not a transaction.
    statements = [query["sql"] for query in captured]
    [clear] = [n for n, sql in enumerate(statements) if "signinfailures" in sql]
    assert statements[clear].startswith("DELETE") and statements[clear - 1] != "BEGIN"
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = before
    assert stale.get("/account/").status_code == 302  # to the sign-in page
    assert browser.get("/account/").status_code == 200


def test_a_recovery_code_signs_in_once(phone_client):
    codes = turn_on_sms(phone_client)
    for expected in ("/account/", None):
        browser = Client()
        sign_in(browser, PHONE)
        answer = browser.post("/accounts/2fa/authenticate/", {"method": "sms", "code": codes[0]})
        if expected:
            assert answer.url == expected
        else:
            assert answer.status_code == 400


def test_recovery_codes_are_shown_once_and_can_be_made_anew(phone_client):
    codes = turn_on_sms(phone_client)
    assert not phone_client.get("/accounts/2fa/recovery-codes/").context["can_view_codes"]
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=6), tick=False):
        # New codes need the second factor, not only the password.
        confirm_with_password(phone_client)
        asked = phone_client.get("/account/two-factor/recovery-codes/")
        assert asked.url.startswith("/account/verify/") and "factor=2" in asked.url
        assert phone_client.get(asked.url).context["methods"] == ["sms", "recovery"]
        phone_client.post(asked.url, {"method": "sms", "action": "send"})
        phone_client.post(asked.url, {"method": "sms", "code": code_sent_to(PHONE)})
        made = phone_client.post("/account/two-factor/recovery-codes/")
        new_codes = phone_client.get(made.url).context["unused_codes"]
    assert len(new_codes) == 10 and set(new_codes).isdisjoint(codes)


def test_turning_off_two_factor_needs_the_second_factor(phone_client):
    key = turn_on_app(phone_client)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=6), tick=False):
        confirm_with_password(phone_client)
        refused = phone_client.get("/accounts/2fa/totp/deactivate/")
        assert refused.url.startswith("/account/verify/") and "factor=2" in refused.url
        assert phone_client.get(refused.url).context["methods"] == ["app"]
        phone_client.post(refused.url, {"method": "app", "code": app_code(key)})
        assert phone_client.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert not User.objects.get(phone=PHONE).authenticator_set.exists()


def test_with_sms_only_a_recovery_code_confirms_it_is_you(phone_client):
    codes = turn_on_sms(phone_client)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=6), tick=False):
        refused = phone_client.get("/accounts/2fa/recovery-codes/")
        assert refused.url.startswith("/account/verify/") and "factor=2" in refused.url
        page = phone_client.get(refused.url)
        assert page.context["methods"] == ["sms", "recovery"]
        assert "Recovery code" in page.content.decode()
        wrong = phone_client.post(refused.url, {"method": "recovery", "code": "12345678"})
        assert wrong.status_code == 400
        done = phone_client.post(refused.url, {"method": "recovery", "code": codes[0]})
        assert done.status_code == 302
        assert phone_client.get("/accounts/2fa/recovery-codes/").status_code == 200


def test_turning_off_the_app_with_sms_still_on_keeps_recovery_codes(phone_client):
    turn_on_sms(phone_client)
    turn_on_app(phone_client)
    answer = phone_client.post("/accounts/2fa/totp/deactivate/")
    assert answer.url == "/accounts/2fa/recovery-codes/"
    assert len(phone_client.get(answer.url).context["unused_codes"]) == 10


def test_changing_two_factor_voids_trust_in_every_browser(phone_client):
    turn_on_sms(phone_client)
    browser = Client()
    sign_in(browser, PHONE)
    browser.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    browser.post(
        "/accounts/2fa/authenticate/",
        {"method": "sms", "code": code_sent_to(PHONE), "trust": "on"},
    )
    browser.post("/accounts/logout/")
    assert sign_in(browser, PHONE).url == "/account/"
    browser.post("/accounts/logout/")
    turn_on_app(phone_client)
    assert sign_in(browser, PHONE).url == "/accounts/2fa/authenticate/"


def test_the_recovery_phone_that_carries_sms_codes_needs_the_second_factor_to_change(settings):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    client = Client()
    sign_up(client, email="asha@example.com")
    confirm_with_password(client)
    client.post(
        "/account/recovery/phone/", {"action": "send", "country": "IN", "phone": "98765 43210"}
    )
    client.post("/account/recovery/phone/", {"action": "verify", "code": code_sent_to(PHONE)})
    turn_on_sms(client)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=6), tick=False):
        confirm_with_password(client)
        asked = client.get("/account/recovery/phone/")
        assert "factor=2" in asked.url
        assert client.get(asked.url).context["methods"] == ["sms", "recovery"]


def test_sms_codes_for_sign_in_do_not_confirm_changes(phone_client):
    turn_on_sms(phone_client)
    browser = Client()
    sign_in(browser, PHONE)
    browser.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    sign_in_code = code_sent_to(PHONE)
    assert "sign-in code" in last_message_to(PHONE).body
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=2), tick=False):
        answer = phone_client.post(
            "/account/verify/?factor=2&next=/", {"method": "sms", "code": sign_in_code}
        )
    assert answer.status_code == 400


def test_twenty_wrong_codes_in_a_day_stop_new_codes(settings):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    sign_up(Client(), phone="98765 43210")
    client = Client()
    ask = {"action": "send", "captcha_0": "x", "captcha_1": "PASSED", "method": "phone"}
    ask |= {"country": "IN", "phone": "98765 43210"}
    wrong = {"action": "reset", "method": "phone", "code": "000000"}
    wrong |= {"password1": "Green!Lamp57y", "password2": "Green!Lamp57y"}
    for _ in range(4):
        assert client.post("/accounts/password/reset/", ask).status_code == 200
        for _ in range(5):
            client.post("/accounts/password/reset/", wrong)
    refused = client.post("/accounts/password/reset/", ask)
    assert refused.status_code == 400
    assert "Too many codes" in str(refused.context["send_form"].non_field_errors())


@pytest.mark.parametrize(
    ("signup", "inbox"),
    [({"phone": "98765 43210"}, PHONE), ({"email": "asha@example.com"}, "asha@example.com")],
)
def test_notices_arrive_for_two_factor_on_and_off(signup, inbox, settings):
    client = Client()
    sign_up(client, **signup)
    key = turn_on_app(client)
    assert "turned on" in last_message_to(inbox).body
    client.post("/account/verify/?factor=2", {"method": "app", "code": app_code(key)})
    client.post("/accounts/2fa/totp/deactivate/")
    assert "turned off" in last_message_to(inbox).body
    channel = "sms" if inbox == PHONE else "email"
    assert set(DevOutboxMessage.objects.filter(to=inbox).values_list("channel", flat=True)) == {
        channel
    }


def test_a_new_browser_sign_in_sends_a_notice_and_a_known_one_does_not(phone_client):
    phone_client.post("/accounts/logout/")
    sign_in(phone_client, PHONE)
    assert "new browser" not in last_message_to(PHONE).body
    sign_in(Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"), PHONE)
    assert "new browser (Firefox on Linux" in last_message_to(PHONE).body


def test_a_person_without_a_password_or_second_factor_still_confirms_before_adding_one():
    client = Client()
    sign_up(client, phone="98765 43210")
    user = User.objects.get()
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    assert client.get("/accounts/2fa/totp/activate/").url.startswith("/account/verify/")


def test_the_totp_key_is_encrypted_at_rest(phone_client):
    key = turn_on_app(phone_client)
    stored = User.objects.get(phone=PHONE).authenticator_set.get(type="totp").data["secret"]
    assert key not in stored


def test_a_wrong_sms_code_when_confirming_it_is_you_is_in_the_security_log(phone_client):
    turn_on_sms(phone_client)
    user = User.objects.get(phone=PHONE)
    failed = user.security_events.filter(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED)
    before = failed.count()
    verify = "/account/verify/?factor=2&next=/account/"
    phone_client.post(verify, {"method": "sms", "action": "send"})
    wrong = phone_client.post(verify, {"method": "sms", "code": "000000"})
    assert wrong.status_code == 400
    assert wrong.context["forms"]["code"].errors["code"] == [
        "That code isn't right. Check the message and try again."
    ]
    assert failed.count() == before + 1
    right = phone_client.post(verify, {"method": "sms", "code": code_sent_to(PHONE)})
    assert right.url == "/account/"


def test_the_authenticator_key_is_shown_in_groups_with_a_copy_button(phone_client):
    from tests.helpers import GOOD_PASSWORD

    phone_client.post("/account/verify/?next=/", {"method": "password", "password": GOOD_PASSWORD})
    page = phone_client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret
    html = page.content.decode()
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert f">{grouped}</textarea>" in html
    assert 'data-copy="authenticator_key"' in html
