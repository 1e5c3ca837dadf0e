"""Moderation in admin: find, suspend, ban, reinstate, resets; the moderation log; the
Moderators group's least privilege; admin behind the second factor."""

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ModerationAction, SecurityEvent, User
from tests.helpers import (
    GOOD_PASSWORD,
    code_sent_to,
    last_message_to,
    sign_in,
    with_second_factor,
)
from verification.models import DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "+919876543210"


def device_token() -> str:
    answer = Client().post(
        "/api/v1/device/sign-in/",
        {
            "login": PHONE,
            "password": GOOD_PASSWORD,
            "device": {"name": "Phone", "hardware_id": "imei-356938035643809"},
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["token"]


def bulk(moderator: Client, action: str, users, **form):
    ids = [str(user.pk) for user in users]
    asked = moderator.post(
        "/admin/accounts/user/", {"action": f"moderate_{action}", "_selected_action": ids}
    )
    assert asked.status_code == 200 and "reason" in asked.context["form"].fields
    return moderator.post(
        "/admin/accounts/user/",
        {"action": f"moderate_{action}", "_selected_action": ids, "apply": "1", **form},
    )


def test_a_moderator_suspends_and_reinstates_through_the_admin(phone_client, moderator):
    token = device_token()
    user = User.objects.get(phone=PHONE)
    done = bulk(moderator, "suspend", [user], reason="Spam reports", share_reason="on")
    assert done.status_code == 302
    # The open session is signed out on its next request; the device token stops working.
    assert phone_client.get("/account/").status_code == 302
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/device/commands/").status_code == 401
    refused = sign_in(Client(), PHONE)
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "This account is suspended" in page and "Spam reports" in page
    assert "suspended" in last_message_to(PHONE).body
    # A wrong password still gets the generic answer: the status is told only to the owner.
    wrong = sign_in(Client(), PHONE, password="Wrong!Pass9").content.decode()
    assert "suspended" not in wrong

    form = moderator.get(f"/admin/accounts/user/{user.pk}/moderate/reinstate/")
    assert form.status_code == 200
    moderator.post(
        f"/admin/accounts/user/{user.pk}/moderate/reinstate/",
        {"apply": "1", "reason": "Appeal accepted"},
    )
    assert sign_in(Client(), PHONE).status_code == 302
    log = list(ModerationAction.objects.order_by("created_at").values_list("action", "reason"))
    assert log == [("suspend", "Spam reports"), ("reinstate", "Appeal accepted")]
    own_log = user.security_events.filter(kind=SecurityEvent.Kind.SUPPORT_ACTION)
    assert sorted(e.detail["reason"] for e in own_log) == ["", "Spam reports"]


def test_a_suspension_ends_by_itself(phone_client, moderator):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    user = User.objects.get(phone=PHONE)
    until = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    bulk(moderator, "suspend", [user], reason="Cooling off", until=until)
    assert "You can sign in again after" in sign_in(Client(), PHONE).content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert sign_in(Client(), PHONE).status_code == 302


def test_a_ban_and_an_unshared_reason(phone_client, moderator):
    user = User.objects.get(phone=PHONE)
    bulk(moderator, "ban", [user], reason="Fraud ring #42")
    page = sign_in(Client(), PHONE).content.decode()
    assert "This account is banned" in page and "Fraud ring" not in page
    assert "Fraud ring" not in last_message_to(PHONE).body


def test_every_action_is_in_both_logs(phone_client, moderator, settings):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    user = User.objects.get(phone=PHONE)
    for action in (
        "suspend",
        "reinstate",
        "require_password_reset",
        "reset_second_factor",
        "end_sessions",
        "ban",
    ):
        answer = moderator.post(
            f"/admin/accounts/user/{user.pk}/moderate/{action}/",
            {"apply": "1", "reason": f"because {action}"},
        )
        assert answer.status_code == 302, action
    entries = ModerationAction.objects.filter(user=user)
    assert entries.count() == 6
    assert all(entry.reason == f"because {entry.action}" for entry in entries)
    assert {entry.actor.email for entry in entries} == {"mod@example.com"}
    assert user.security_events.filter(kind=SecurityEvent.Kind.SUPPORT_ACTION).count() == 6
    log_page = moderator.get("/admin/accounts/moderationaction/?action__exact=ban")
    assert "because ban" in log_page.content.decode()


def test_a_reason_is_required(phone_client, moderator):
    user = User.objects.get(phone=PHONE)
    answer = moderator.post(
        f"/admin/accounts/user/{user.pk}/moderate/suspend/", {"apply": "1", "reason": " "}
    )
    assert answer.status_code == 200 and answer.context["form"].errors["reason"]
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize(
    ("action", "devices_signed_out"),
    [
        ("end_sessions", True),
        ("require_password_reset", True),
        ("reset_second_factor", False),  # a lost phone may still need finding
    ],
)
def test_what_each_action_signs_out(phone_client, moderator, action, devices_signed_out):
    token = device_token()
    user = User.objects.get(phone=PHONE)
    bulk(moderator, action, [user], reason="Account taken over")
    assert phone_client.get("/account/").status_code == 302
    polled = Client().get("/api/v1/device/commands/", HTTP_AUTHORIZATION=f"Token {token}")
    assert polled.status_code == (401 if devices_signed_out else 200)


def test_required_password_reset_and_reset_second_factor(phone_client, moderator, settings):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    with_second_factor(phone_client, password=GOOD_PASSWORD)
    user = User.objects.get(phone=PHONE)
    bulk(moderator, "require_password_reset", [user], reason="Password seen in a breach")
    refused = sign_in(Client(), PHONE)
    assert refused.status_code == 403 and "Choose a new password" in refused.content.decode()
    reset = Client()
    ask = {"action": "send", "captcha_0": "x", "captcha_1": "PASSED", "method": "phone"}
    reset.post("/accounts/password/reset/", ask | {"country": "IN", "phone": "98765 43210"})
    reset.post(
        "/accounts/password/reset/",
        {
            "action": "reset",
            "method": "phone",
            "code": code_sent_to(PHONE),
            "password1": "Green!Lamp57y",
            "password2": "Green!Lamp57y",
        },
    )
    # A passkey is a second factor too: the reset takes it with the others.
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop", "credential": {}}
    )
    bulk(moderator, "reset_second_factor", [user], reason="Lost phone, identity checked")
    assert not Authenticator.objects.filter(user=user).exists()
    again = Client()
    assert sign_in(again, PHONE, password="Green!Lamp57y").url == "/account/"  # no 2FA step
    kept_out = again.get("/account/")
    assert kept_out.status_code == 302 and kept_out.url == "/account/two-factor/"
    assert again.get("/account/two-factor/").status_code == 200


def test_moderators_cannot_delete_edit_staff_or_see_secrets(phone_client, moderator, monkeypatch):
    import os

    from django.core.management import call_command

    mod = User.objects.get(email="mod@example.com")
    for permission in ("accounts.delete_user", "accounts.change_user", "auth.change_group"):
        assert not mod.has_perm(permission)
    assert mod.has_perm("accounts.moderate_user")
    user = User.objects.get(phone=PHONE)
    token = device_token()
    assert moderator.get(f"/admin/accounts/user/{user.pk}/delete/").status_code == 403
    page = moderator.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert user.password not in page and token not in page
    for code in DevOutboxMessage.objects.values_list("body", flat=True):
        for word in code.split():
            if word.isdigit() and len(word) == 6:
                assert word not in page
    change = moderator.post(f"/admin/accounts/user/{user.pk}/change/", {"status": "banned"})
    assert change.status_code == 403
    assert User.objects.get(pk=user.pk).status == "active"

    monkeypatch.setitem(os.environ, "ADMIN_PASSWORD", "Ledger!Moon2026")
    call_command("createadmin", email="boss@example.com")
    boss = User.objects.get(email="boss@example.com")
    assert moderator.post(f"/admin/accounts/user/{boss.pk}/change/", {}).status_code == 403
    # Staff are for superusers only: a Moderator is not even shown the form.
    assert moderator.get(f"/admin/accounts/user/{boss.pk}/moderate/suspend/").status_code == 403
    banned = moderator.post(
        f"/admin/accounts/user/{boss.pk}/moderate/ban/", {"apply": "1", "reason": "coup"}
    )
    assert banned.status_code == 403
    assert User.objects.get(pk=boss.pk).status == "active"


def test_search_finds_a_number_typed_in_national_format(phone_client, moderator):
    for query in ("98765 43210", "098765-43210", "+91 98765 43210", PHONE):
        page = moderator.get("/admin/accounts/user/", {"q": query})
        assert [u.phone for u in page.context["cl"].result_list] == [PHONE], query
    assert moderator.get("/admin/accounts/user/", {"q": "nothing at all"}).status_code == 200


def test_the_list_costs_the_same_queries_for_10_and_50_rows(moderator):
    def make(count: int, start: int) -> None:
        for n in range(start, start + count):
            User.objects.create_user(phone=f"+9198765{n:05d}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = moderator.get("/admin/accounts/user/")
        assert page.status_code == 200
        return len(captured)

    make(9, 0)
    queries()  # the first visit also notes the session as active
    few = queries()
    make(60, 100)
    assert queries() == few


def test_staff_must_pass_the_second_factor_in_this_session(moderator):
    assert moderator.get("/admin/").status_code == 200
    fresh = Client()
    assert fresh.login(username="mod@example.com", password=GOOD_PASSWORD)
    answer = fresh.get("/admin/")
    assert answer.status_code == 302
    follow = fresh.get(answer.url)
    assert (
        follow.status_code == 302 and "/account/verify/" in follow.url and "factor=2" in follow.url
    )


def test_the_delivery_dashboard_counts_messages(phone_client, moderator):
    page = moderator.get("/admin/verification/deliveryreport/")
    assert page.status_code == 200
    rows = page.context["per_day"]
    assert any(row["channel"] == "sms" and sum(row["counts"]) >= 1 for row in rows)


def test_the_delivery_dashboard_shows_the_fraud_guard_and_what_it_blocked(
    phone_client, moderator, settings
):
    from verification.models import BlockedSend

    settings.SMS_DAILY_BUDGET = 4321
    BlockedSend.objects.create(
        destination="+919123456780", prefix="+91 9123", reason="prefix +91 9123 over its budget"
    )
    page = moderator.get("/admin/verification/deliveryreport/")
    text = page.content.decode()
    assert "SMS fraud guard" in text and "of today's budget of 4321 SMS codes used" in text
    # The table counts every SMS (codes and notices); the line above says so too.
    sms_rows = [row for row in page.context["per_day"] if row["channel"] == "sms"]
    written = sum(sum(row["counts"]) for row in sms_rows if row["day"] == sms_rows[0]["day"])
    assert page.context["sms_all_today"] == written
    assert dict(page.context["guard"])["Line types"] == "mobile only (no landlines)"
    assert page.context["blocked"] == [
        {"prefix": "+91 9123", "reason": "prefix +91 9123 over its budget", "count": 1}
    ]


def test_support_actions_show_no_staff_ip_and_standing_is_not_edited_directly(
    phone_client, moderator
):
    user = User.objects.get(phone=PHONE)
    bulk(moderator, "end_sessions", [user], reason="Shared computer")
    event = user.security_events.get(kind=SecurityEvent.Kind.SUPPORT_ACTION)
    assert event.ip_address is None and event.user_agent == ""
    mod = User.objects.get(email="mod@example.com")
    mod.is_superuser = True
    mod.save()
    page = moderator.get(f"/admin/accounts/user/{user.pk}/change/")
    assert "status" in page.context["adminform"].readonly_fields
    assert moderator.get("/admin/mfa/authenticator/").status_code == 404
