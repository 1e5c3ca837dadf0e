"""Staff find accounts in admin and see message outcomes, never a code."""

import os

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from tests.helpers import code_sent_to, send_code, sign_up, with_second_factor
from verification.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_createadmin_makes_a_staff_account_that_signs_in_to_admin(monkeypatch):
    monkeypatch.setitem(os.environ, "ADMIN_PASSWORD", "Ledger!Moon2026")
    call_command("createadmin", email="Staff@Example.com")
    staff = User.objects.get(email="staff@example.com")
    assert staff.is_staff and staff.is_superuser and len(staff.account_id) == 10

    client = Client()
    to_sign_in = client.get("/admin/", follow=True)
    assert to_sign_in.request["PATH_INFO"] == "/accounts/login/"
    response = client.post(
        "/accounts/login/",
        {
            "login": "staff@example.com",
            "password": "Ledger!Moon2026",
            "next": "/admin/login/?next=/admin/",
        },
        follow=True,
    )
    # Staff without a second factor are sent to set one up first.
    assert response.status_code == 403
    assert "Admin needs two-factor authentication" in response.content.decode()
    with_second_factor(client)
    admin = client.get("/admin/")
    assert admin.status_code == 200 and "Site administration" in admin.content.decode()


def test_createadmin_enforces_the_password_policy(monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setitem(os.environ, "ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        call_command("createadmin", email="staff@example.com")
    assert not User.objects.exists()


@pytest.mark.parametrize("query", ["+919876543210", "9876543210", "asha@example.com"])
def test_staff_find_an_account_by_phone_or_email(staff_client, query):
    sign_up(Client(), phone="98765 43210")
    sign_up(Client(), email="asha@example.com")
    page = staff_client.get("/admin/accounts/user/", {"q": query}).content.decode()
    assert "1 result" in page


def test_staff_find_an_account_by_account_id(staff_client):
    sign_up(Client(), phone="98765 43210")
    user = User.objects.get(phone="+919876543210")
    page = staff_client.get("/admin/accounts/user/", {"q": user.account_id}).content.decode()
    assert "1 result" in page
    detail = staff_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert user.account_id in detail and "2026-11-01" in detail  # the consent's terms version


def test_message_outcomes_in_admin_never_show_the_code(staff_client):
    send_code(Client(), phone="98765 43210")
    code = code_sent_to("+919876543210")
    message = OutboundMessage.objects.get(to="+919876543210")
    listing = staff_client.get("/admin/verification/outboundmessage/").content.decode()
    detail = staff_client.get(
        f"/admin/verification/outboundmessage/{message.pk}/change/"
    ).content.decode()
    assert "+919876543210" in listing and "Sent" in detail
    assert code not in listing and code not in detail
    assert "••••••" in detail


def test_people_who_are_not_staff_cannot_open_admin():
    client = Client()
    sign_up(client, phone="98765 43210")
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_the_admin_pages_for_accounts_open(staff_client):
    sign_up(Client(), phone="98765 43210")
    user = User.objects.get(phone="+919876543210")
    for path in [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{user.pk}/change/",
        "/admin/verification/outboundmessage/",
    ]:
        assert staff_client.get(path).status_code == 200, path
    # Accounts are made by sign-up or createadmin, and delivery records are kept.
    assert staff_client.get("/admin/accounts/user/add/").status_code == 403
    message = OutboundMessage.objects.first()
    delete = f"/admin/verification/outboundmessage/{message.pk}/delete/"
    assert staff_client.get(delete).status_code == 403
