"""The account page: security checkup, security log, sessions, re-authentication, recovery
contacts and deleting the account."""

import pytest
from django.test import Client

from accounts.models import SecurityEvent, User
from tests.helpers import GOOD_PASSWORD, code_sent_to, last_message_to, sign_in, sign_up
from verification.models import DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def reauthenticate(client, next_url: str, password: str = GOOD_PASSWORD):
    return client.post(
        f"/account/verify/?next={next_url}", {"method": "password", "password": password}
    )


def test_the_checkup_lists_the_six_next_steps_each_with_a_working_link(phone_client):
    page = phone_client.get("/account/")
    steps = page.context["steps"]
    # What protects most first; a phone account is offered a recovery email before a second
    # phone; the phones' steps come apart, after.
    assert [step.title for step in steps] == [
        "Two-factor authentication",
        "Passkey",
        "Recovery email",
        "Recovery phone",
        "Cloud sync",
        "Find Device",
    ]
    assert [step.group for step in steps] == ["security"] * 4 + ["devices"] * 2
    # New accounts back up contacts, messages, call history and notes from the start.
    assert [step.done for step in steps] == [False, False, False, False, True, False]
    # One step is asked for first (a filled button); the others wait (outlined).
    assert page.context["next_step"].title == "Two-factor authentication"
    assert page.content.decode().count('class="button small"') == 1
    for step in steps:
        followed = phone_client.get(step.url, follow=True)
        assert followed.status_code == 200, step.url


def test_sensitive_pages_ask_to_confirm_it_is_you_first(phone_client):
    for url in (
        "/account/recovery/phone/",
        "/account/recovery/email/",
        "/account/delete/",
        "/account/two-factor/sms/",
        "/accounts/2fa/totp/activate/",
    ):
        response = phone_client.get(url)
        assert response.status_code == 302 and response.url.startswith("/account/verify/"), url


def test_a_wrong_password_does_not_confirm_it_is_you(phone_client):
    response = reauthenticate(phone_client, "/account/recovery/email/", password="Nope!Nope12")
    assert response.status_code == 400
    assert response.context["forms"]["password"].errors["password"] == [
        "That password isn't right."
    ]
    assert phone_client.get("/account/recovery/email/").status_code == 302


def test_add_a_recovery_email_proven_by_a_code_with_notices(phone_client):
    assert reauthenticate(phone_client, "/account/recovery/email/").url == (
        "/account/recovery/email/"
    )
    sent = phone_client.post(
        "/account/recovery/email/", {"action": "send", "email": "Backup@Example.com"}
    )
    assert "We sent a 6-digit code to b••••p@example.com." in sent.content.decode()
    wrong = phone_client.post("/account/recovery/email/", {"action": "verify", "code": "000000"})
    assert wrong.status_code == 400
    saved = phone_client.post(
        "/account/recovery/email/",
        {"action": "verify", "code": code_sent_to("backup@example.com")},
    )
    assert saved.status_code == 302
    user = User.objects.get(phone="+919876543210")
    assert user.recovery_email == "backup@example.com"
    assert last_message_to("backup@example.com").subject == (
        "Your Account Portal recovery contact changed"
    )
    # The account now has an email: its notices go there rather than by SMS.
    event = user.security_events.latest("created_at")
    assert event.kind == SecurityEvent.Kind.RECOVERY_EMAIL_SET
    assert event.detail == {"contact": "b••••p@example.com"}


def test_changing_the_recovery_phone_tells_the_old_and_the_new_number(email_client):
    reauthenticate(email_client, "/account/recovery/phone/")
    for number, e164 in (("91234 56789", "+919123456789"), ("91234 56780", "+919123456780")):
        email_client.post(
            "/account/recovery/phone/", {"action": "send", "country": "IN", "phone": number}
        )
        email_client.post(
            "/account/recovery/phone/", {"action": "verify", "code": code_sent_to(e164)}
        )
    assert str(User.objects.get(email="asha@example.com").recovery_phone) == "+919123456780"
    old_number_notice = last_message_to("+919123456789").body
    assert "recovery phone" in old_number_notice and "+91 ••••• •6780" in old_number_notice
    assert "recovery phone" in last_message_to("+919123456780").body
    assert "recovery phone" in last_message_to("asha@example.com").body


def test_removing_a_recovery_contact_tells_it(email_client):
    reauthenticate(email_client, "/account/recovery/phone/")
    email_client.post(
        "/account/recovery/phone/", {"action": "send", "country": "IN", "phone": "91234 56789"}
    )
    email_client.post(
        "/account/recovery/phone/", {"action": "verify", "code": code_sent_to("+919123456789")}
    )
    assert email_client.post("/account/recovery/phone/", {"action": "remove"}).status_code == 302
    assert User.objects.get(email="asha@example.com").recovery_phone is None
    assert "was removed" in last_message_to("+919123456789").body


def test_bad_recovery_contacts_get_clear_errors(phone_client):
    reauthenticate(phone_client, "/account/recovery/phone/")
    cases = [
        ({"country": "IN", "phone": "12"}, "phone"),
        ({"country": "ZZ", "phone": "91234 56789"}, "country"),
        ({"country": "IN", "phone": "98765 43210"}, "phone"),  # the account's own number
    ]
    for data, field in cases:
        response = phone_client.post("/account/recovery/phone/", {"action": "send", **data})
        assert response.status_code == 400
        assert response.context["contact_form"].errors[field]
    code = phone_client.post("/account/recovery/phone/", {"action": "verify", "code": "12ab"})
    assert code.status_code == 400 and code.context["code_form"].errors["code"]


def test_a_phone_only_account_without_a_password_must_pass_an_sms_code(phone_client):
    user = User.objects.get(phone="+919876543210")
    user.set_unusable_password()
    user.save()
    phone_client.force_login(user)
    verify = phone_client.get("/account/recovery/email/")
    assert verify.url.startswith("/account/verify/")
    page = phone_client.get(verify.url)
    assert page.context["methods"] == ["code"]
    # A password is no way in: it has none.
    assert reauthenticate(phone_client, "/account/recovery/email/").status_code != 302
    phone_client.post(verify.url, {"method": "code", "action": "send"})
    done = phone_client.post(verify.url, {"method": "code", "code": code_sent_to("+919876543210")})
    assert done.status_code == 302 and done.url == "/account/recovery/email/"
    assert phone_client.get("/account/recovery/email/").status_code == 200


def test_the_security_log_shows_sign_ins_and_failures_newest_first(phone_client):
    phone_client.post("/accounts/logout/")
    sign_in(Client(REMOTE_ADDR="198.51.100.7"), "+919876543210", password="Wrong!Pass9")
    sign_in(phone_client, "+919876543210")
    page = phone_client.get("/account/security-log/")
    kinds = [event.kind for event in page.context["page"]]
    assert kinds[:2] == ["signed_in", "sign_in_failed"]
    assert "198.51.100.7" in page.content.decode()


def test_the_security_log_is_paginated(phone_client):
    user = User.objects.get(phone="+919876543210")
    SecurityEvent.objects.bulk_create(
        SecurityEvent(user=user, kind=SecurityEvent.Kind.SIGN_IN_FAILED) for _ in range(45)
    )
    first = phone_client.get("/account/security-log/")
    assert len(first.context["page"]) == 20 and first.context["page"].paginator.num_pages == 3
    assert phone_client.get("/account/security-log/?page=3").status_code == 200
    assert phone_client.get("/account/security-log/?page=nonsense").status_code == 200


def test_sessions_are_listed_and_can_be_signed_out_one_or_all(phone_client):
    other, third = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Firefox/132.0"), Client()
    for client in (other, third):
        sign_in(client, "+919876543210")
    page = phone_client.get("/account/sessions/")
    sessions = page.context["sessions"]
    assert len(sessions) == 3 and sessions[0]["current"]
    assert "Firefox on Windows" in [session["browser"] for session in sessions]
    firefox = next(s for s in sessions if s["browser"] == "Firefox on Windows")
    phone_client.post("/account/sessions/", {"session": firefox["id"]})
    assert other.get("/account/").status_code == 302
    assert third.get("/account/").status_code == 200
    phone_client.post("/account/sessions/", {"action": "end_others"})
    assert third.get("/account/").status_code == 302
    assert phone_client.get("/account/").status_code == 200
    assert phone_client.post("/account/sessions/", {"session": "x"}).status_code == 302


def test_a_sign_in_drops_ended_sessions_in_one_statement_however_many_there_are(phone_client):
    from datetime import timedelta

    import time_machine
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    def statements_of_a_sign_in() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert sign_in(Client(), "+919876543210").status_code == 302
        return [query["sql"] for query in captured]

    with time_machine.travel(timezone.now(), tick=False) as clock:
        few = statements_of_a_sign_in()
        for _ in range(6):
            sign_in(Client(), "+919876543210")
        user = User.objects.get(phone="+919876543210")
        rows = list(UserSession.objects.filter(user=user).order_by("created_at"))
        assert len(rows) == 8  # the sign-up's, and seven sign-ins
        Session.objects.filter(session_key__in=[rows[1].session_key, rows[2].session_key]).delete()
        Session.objects.filter(session_key=rows[3].session_key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
        clock.shift(120)
        many = statements_of_a_sign_in()
    assert len(many) == len(few), many
    left = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    assert len(left) == 6 and not {rows[1].session_key, rows[2].session_key} & left
    assert rows[3].session_key not in left and rows[0].session_key in left
    assert phone_client.get("/account/sessions/").context["sessions"][0]["current"]


def test_a_session_ends_after_an_idle_hour_and_a_day_after_its_sign_in(phone_client):
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False) as clock:
        idle = Client()
        sign_in(idle, "+919876543210")
        clock.shift(61 * 60)
        assert idle.get("/account/").url == "/accounts/login/"
        assert "without activity" in idle.get("/accounts/login/").content.decode()

        busy = Client()
        sign_in(busy, "+919876543210")
        for _ in range(24):  # active every 59 minutes: 23 h 36 min
            clock.shift(59 * 60)
            assert busy.get("/account/").status_code == 200
        clock.shift(59 * 60)
        assert busy.get("/account/").url == "/accounts/login/"
        assert "limited time" in busy.get("/accounts/login/").content.decode()


def test_wrong_current_passwords_count_as_failed_sign_ins(phone_client, settings):
    from accounts.rules.failed_passwords import failed_sign_ins

    settings.SIGN_IN_FREE_FAILURES = 3
    change = {"password1": "Green!Lamp57y", "password2": "Green!Lamp57y"}
    for _ in range(3):
        wrong = phone_client.post("/accounts/password/change/", {"oldpassword": "nope"} | change)
        assert "That password isn&#x27;t right." in wrong.content.decode()
    assert failed_sign_ins(User.objects.get(phone="+919876543210")) == 3
    held = phone_client.post("/accounts/password/change/", {"oldpassword": GOOD_PASSWORD} | change)
    assert "Too many wrong passwords" in held.content.decode()


def test_changing_the_password_can_keep_or_end_the_other_sessions(phone_client):
    other = Client()
    sign_in(other, "+919876543210")
    kept = phone_client.post(
        "/accounts/password/change/",
        {"oldpassword": GOOD_PASSWORD, "password1": "Green!Lamp57y", "password2": "Green!Lamp57y"},
    )
    assert kept.status_code == 302
    assert other.get("/account/").status_code == 200
    phone_client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "Green!Lamp57y",
            "password1": "Amber!Road68z",
            "password2": "Amber!Road68z",
            "sign_out_others": "on",
        },
    )
    assert other.get("/account/").status_code == 302
    assert phone_client.get("/account/").status_code == 200
    assert "password of your account" in last_message_to("+919876543210").body


def test_delete_the_account_frees_its_phone_for_a_new_sign_up(phone_client, settings):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    reauthenticate(phone_client, "/account/delete/")
    refused = phone_client.post("/account/delete/", {})
    assert refused.status_code == 400 and refused.context["form"].errors["confirm"]
    done = phone_client.post("/account/delete/", {"confirm": "on"})
    assert done.status_code == 302 and done.url == "/"
    assert not User.objects.filter(phone="+919876543210").exists()
    assert "was deleted" in last_message_to("+919876543210").body
    assert phone_client.get("/account/").status_code == 302
    again = Client()
    sign_up(again, phone="98765 43210")
    assert User.objects.filter(phone="+919876543210").exists()


def test_no_page_of_the_account_shows_a_code():
    client = Client()
    sign_up(client, email="asha@example.com")
    reauthenticate(client, "/account/recovery/phone/")
    client.post(
        "/account/recovery/phone/", {"action": "send", "country": "IN", "phone": "91234 56789"}
    )
    code = code_sent_to("+919123456789")
    for url in ("/account/", "/account/security-log/", "/account/recovery/phone/"):
        assert code not in client.get(url).content.decode()
    assert DevOutboxMessage.objects.filter(to="+919123456789").count() == 1


@pytest.mark.parametrize(
    ("signup", "inbox", "channel"),
    [
        ({"phone": "98765 43210"}, "+919876543210", "sms"),
        ({"email": "asha@example.com"}, "asha@example.com", "email"),
    ],
)
def test_every_sensitive_event_sends_a_notice(signup, inbox, channel, settings):
    """A phone-only account hears by SMS, an email-only one by email."""
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    client = Client()
    sign_up(client, **signup)
    login = inbox

    def notices() -> list[str]:
        return list(
            DevOutboxMessage.objects.filter(to=inbox)
            .exclude(body__contains="verification code")
            .order_by("pk")
            .values_list("body", flat=True)
        )

    sign_in(Client(), login)  # a new browser
    client.post(
        "/accounts/password/change/",
        {"oldpassword": GOOD_PASSWORD, "password1": "Green!Lamp57y", "password2": "Green!Lamp57y"},
    )
    reauthenticate(client, "/", password="Green!Lamp57y")
    client.post(
        "/account/recovery/phone/", {"action": "send", "country": "IN", "phone": "91234 56789"}
    )
    client.post(
        "/account/recovery/phone/", {"action": "verify", "code": code_sent_to("+919123456789")}
    )
    reset_client = Client()
    ask = {"method": "phone", "country": "IN", "phone": "91234 56789"}
    reset_client.post(
        "/accounts/password/reset/",
        {"action": "send", "captcha_0": "x", "captcha_1": "PASSED", **ask},
    )
    reset_client.post(
        "/accounts/password/reset/",
        {
            "action": "reset",
            **ask,
            "code": code_sent_to("+919123456789"),
            "password1": "Amber!Road68z",
            "password2": "Amber!Road68z",
        },
    )
    sent = notices()
    expected = ["new browser", "was changed", "recovery phone", "was reset"]
    for phrase in expected:
        assert any(phrase in body for body in sent), (phrase, sent)
    kinds = set(DevOutboxMessage.objects.filter(to=inbox).values_list("channel", flat=True))
    assert kinds == {channel}


def test_an_email_account_is_offered_a_recovery_phone_first(email_client):
    steps = email_client.get("/account/").context["steps"]
    assert [step.title for step in steps][:4] == [
        "Two-factor authentication",
        "Passkey",
        "Recovery phone",
        "Recovery email",
    ]
