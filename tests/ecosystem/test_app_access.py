"""Apps with access (SPEC 12): each grant is logged and the first one for an app sends a
notice; `/account/apps/` lists the app and "Remove access" ends its tokens; staff's actions and
a password reset end every app's tokens; a reused refresh token ends the grant; failed token
requests are limited per IP. Driven by Authlib against a live portal, as test_oidc.py."""

import secrets
from datetime import timedelta

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone

from accounts.actions.moderation import moderate
from accounts.actions.password_reset import reset_password
from accounts.models import ModerationAction, SecurityEvent, User
from ecosystem.models import AppAccess
from tests.ecosystem.relying_party import PHONE, Person, authorize, home_app_session
from tests.helpers import GOOD_PASSWORD
from verification.models import DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
Kind = SecurityEvent.Kind


@pytest.fixture
def signed_in_app(portal, discovery, owner, home_app):
    """The person signed in to the home app: its session holds tokens."""
    person = Person(portal)
    person.sign_in()
    session = home_app_session(home_app.id)
    authorize(person, session, discovery)
    return person, session


def refresh(session: OAuth2Session, discovery: dict) -> requests.Response:
    return requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": session.token["refresh_token"],
            "client_id": session.client_id,
        },
        timeout=10,
    )


def app_notices(owner) -> list[DevOutboxMessage]:
    return list(DevOutboxMessage.objects.filter(to=PHONE, body__contains="Mi Home"))


def test_each_grant_is_logged_and_the_first_sends_a_notice(
    portal, discovery, owner, home_app, signed_in_app
):
    person, _ = signed_in_app
    assert set(AppAccess.objects.get(user=owner, client=home_app).scopes) == {
        "openid",
        "phone",
        "email",
        "profile",
    }

    def allowed() -> list[str]:
        events = SecurityEvent.objects.filter(user=owner, kind=Kind.APP_ALLOWED)
        return [event.detail["app"] for event in events]

    assert allowed() == ["Mi Home"]
    [notice] = app_notices(owner)
    assert "Mi Home can now sign you in with your account" in notice.body

    authorize(person, home_app_session(home_app.id), discovery)  # signing in to it again
    assert allowed() == ["Mi Home", "Mi Home"]
    assert len(app_notices(owner)) == 1, "one notice, the first time"


def test_remove_access_on_the_apps_page_makes_the_next_refresh_fail(
    portal, discovery, owner, home_app, signed_in_app
):
    person, session = signed_in_app
    page = person.open(f"{portal}/account/apps/")
    assert page.status_code == 200
    assert "Mi Home" in page.text
    assert "Your phone number" in page.text

    removed = person.post_form(f"{portal}/account/apps/", page.text, {"app": home_app.id})
    assert removed.status_code == 302
    after = person.open(f"{portal}/account/apps/").text
    assert "Mi Home no longer has access to your account." in after
    assert "No app has access to your account." in after

    answer = refresh(session, discovery)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert session.get(discovery["userinfo_endpoint"], timeout=10).status_code == 401
    assert SecurityEvent.objects.filter(user=owner, kind=Kind.APP_REMOVED).count() == 1
    assert any("no longer has access" in notice.body for notice in app_notices(owner))


def test_a_reused_refresh_token_ends_the_grant(portal, discovery, owner, home_app, signed_in_app):
    _, session = signed_in_app
    stolen = session.token["refresh_token"]
    session.refresh_token(discovery["token_endpoint"], refresh_token=stolen)  # the app rotates

    copied = requests.post(
        discovery["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": stolen, "client_id": home_app.id},
        timeout=10,
    )
    assert copied.status_code == 400
    assert copied.json()["error"] == "invalid_grant"
    # The app's own, newer token ended with it: both must sign the person in again.
    assert refresh(session, discovery).json()["error"] == "invalid_grant"
    assert not AppAccess.objects.filter(user=owner).exists()
    assert SecurityEvent.objects.filter(user=owner, kind=Kind.APP_ACCESS_ENDED).count() == 1


@pytest.mark.parametrize("action", ["suspend", "ban", "end_sessions"])
def test_staff_actions_end_every_apps_tokens(discovery, owner, home_app, signed_in_app, action):
    _, session = signed_in_app
    staff = User.objects.create_user(
        email="staff@example.com", password=GOOD_PASSWORD, is_staff=True
    )
    staff.is_superuser = True
    staff.save()
    moderate(
        user=owner,
        actor=staff,
        action=getattr(ModerationAction.Action, action.upper()),
        reason="Reported",
        until=timezone.now() + timedelta(days=1) if action == "suspend" else None,
    )
    assert refresh(session, discovery).json()["error"] == "invalid_grant"
    assert session.get(discovery["userinfo_endpoint"], timeout=10).status_code == 401


@pytest.mark.parametrize("phones_too", [False, True])
def test_a_password_reset_ends_every_apps_tokens(
    rf, discovery, owner, home_app, signed_in_app, phones_too
):
    _, session = signed_in_app
    request = rf.post("/accounts/password/reset/")
    reset_password(request, user=owner, password="Green!Lamp57y", sign_out_devices=phones_too)
    assert refresh(session, discovery).json()["error"] == "invalid_grant"


def test_failed_token_requests_are_limited_per_ip(portal, discovery, settings, home_app):
    settings.OIDC_TOKEN_FAILURES_PER_IP_PER_MINUTE = 3
    bad = {
        "grant_type": "refresh_token",
        "refresh_token": secrets.token_urlsafe(32),
        "client_id": home_app.id,
    }
    statuses = [
        requests.post(discovery["token_endpoint"], data=bad, timeout=10).status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


def test_a_refresh_is_not_refused_while_another_request_updates_the_failure_count(
    discovery, signed_in_app, rf
):
    """An app's servers refresh many people's tokens from one IP: a request that finds the
    IP's failure count being written (allauth's lock on it held) is checked, not refused."""
    from allauth.core.internal import ratelimit
    from django.core.cache import cache

    from ecosystem.views import _FAILURES, _failure_limits

    [rate] = ratelimit.get_rates(app="ecosystem", action=_FAILURES, config=_failure_limits())
    request = rf.post("/", REMOTE_ADDR="127.0.0.1")
    lock = ratelimit.get_cache_key(request, app="ecosystem", action=_FAILURES, rate=rate) + ":lock"
    _, session = signed_in_app
    assert cache.add(lock, True, timeout=10)
    try:
        answer = refresh(session, discovery)
    finally:
        cache.delete(lock)
    assert answer.status_code == 200, answer.text


def test_a_deleted_app_can_no_longer_refresh(discovery, owner, home_app, signed_in_app):
    _, session = signed_in_app
    home_app.delete()  # staff remove the app in admin: its tokens go with it
    answer = refresh(session, discovery)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] in ("invalid_client", "invalid_grant")
    assert session.get(discovery["userinfo_endpoint"], timeout=10).status_code == 401


def test_a_suspended_account_cannot_allow_an_app(portal, discovery, owner, home_app):
    staff = User.objects.create_superuser(email="staff@example.com", password=GOOD_PASSWORD)
    moderate(
        user=owner,
        actor=staff,
        action=ModerationAction.Action.SUSPEND,
        reason="Reported",
        until=timezone.now() + timedelta(days=1),
    )
    person = Person(portal)
    session = home_app_session(home_app.id)
    url, _ = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    login = person.open(url)
    assert login.status_code == 302 and "/accounts/login/" in login.headers["Location"]
    page = person.http.get(f"{portal}{login.headers['Location']}", timeout=10)
    answer = person.post_form(page.url, page.text, {"login": PHONE, "password": GOOD_PASSWORD})
    assert answer.status_code == 403  # told it is suspended, and not signed in
    assert person.open(url).headers["Location"].startswith("/accounts/login/")
    assert not AppAccess.objects.filter(user=owner).exists()
