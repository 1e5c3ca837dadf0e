"""Ecosystem sign-in (SPEC 12) driven by an independent relying party, Authlib, against a live
portal: the authorization code grant with PKCE through the real sign-in and consent pages,
refresh (rotated; a reused one ends the grant), the device grant, userinfo; every ID token
verified by Authlib against the portal's published keys."""

import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from ecosystem.actions import register_app
from tests.ecosystem.relying_party import (
    EMAIL,
    PHONE,
    REDIRECT_URI,
    Person,
    authorize,
    home_app_session,
    verified_id_token,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_discovery_names_the_portal_as_issuer_and_publishes_its_key(portal, discovery):
    assert discovery["issuer"] == portal
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint"):
        assert discovery[endpoint].startswith(portal)
    assert "S256" in discovery["code_challenge_methods_supported"]
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
    assert [key["kty"] for key in keys] == ["RSA"]


def test_an_app_signs_the_person_in_with_a_code_and_pkce(portal, discovery, owner, home_app):
    person = Person(portal)
    person.sign_in()
    session = home_app_session(home_app.id)
    token, nonce = authorize(person, session, discovery)

    claims = verified_id_token(
        token["id_token"],
        discovery=discovery,
        client_id=home_app.id,
        nonce=nonce,
        access_token=token["access_token"],
    )
    assert claims["sub"] == owner.account_id
    assert claims["aud"] == home_app.id

    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert userinfo == {
        "sub": owner.account_id,
        "phone_number": PHONE,
        "phone_number_verified": True,
        "email": EMAIL,
        "email_verified": False,  # typed at creation here, never proven by a code
        "locale": "en",
    }


def test_the_app_sees_only_the_scopes_it_asked_for(portal, discovery, owner, home_app):
    person = Person(portal)
    person.sign_in()
    session = home_app_session(home_app.id, scope="openid phone")
    authorize(person, session, discovery)
    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert set(userinfo) == {"sub", "phone_number", "phone_number_verified"}


def test_a_refresh_token_is_used_once_and_a_reused_one_ends_the_grant(
    portal, discovery, owner, home_app
):
    person = Person(portal)
    person.sign_in()
    session = home_app_session(home_app.id)
    token, _ = authorize(person, session, discovery)
    first_refresh = token["refresh_token"]

    renewed = session.refresh_token(discovery["token_endpoint"], refresh_token=first_refresh)
    assert renewed["refresh_token"] != first_refresh
    assert session.get(discovery["userinfo_endpoint"], timeout=10).status_code == 200

    stolen = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": first_refresh,
            "client_id": home_app.id,
        },
        timeout=10,
    )
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"


def test_a_code_is_used_once(portal, discovery, owner, home_app):
    person = Person(portal)
    person.sign_in()
    session = home_app_session(home_app.id)
    verifier = secrets.token_urlsafe(48)
    url, _ = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="n-1"
    )
    back = person.consent(url, "grant").headers["Location"]
    session.fetch_token(
        discovery["token_endpoint"], authorization_response=back, code_verifier=verifier
    )
    code = parse_qs(urlsplit(back).query)["code"][0]
    again = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": home_app.id,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_public_app_must_use_pkce(portal, discovery, owner, home_app):
    person = Person(portal)
    person.sign_in()
    session = OAuth2Session(home_app.id, redirect_uri=REDIRECT_URI, scope="openid")
    url, _ = session.create_authorization_url(discovery["authorization_endpoint"], nonce="n-2")
    answer = person.open(url)
    # Refused before any consent: back to the app with an error, or an error page.
    if answer.status_code == 302:
        assert "error=invalid_request" in answer.headers["Location"]
    else:
        assert answer.status_code == 400


def test_a_redirect_uri_must_match_exactly(portal, discovery, owner, home_app):
    person = Person(portal)
    person.sign_in()
    session = OAuth2Session(
        home_app.id,
        redirect_uri=REDIRECT_URI + "/../evil",
        scope="openid",
        code_challenge_method="S256",
    )
    url, _ = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    answer = person.open(url)
    # Never sent to the unknown address: the portal shows its own error page (allauth's
    # provider answers it with 200).
    assert "Location" not in answer.headers
    assert "Mismatching redirect URI" in answer.text


def test_deny_sends_the_person_back_with_access_denied(portal, discovery, owner, home_app):
    person = Person(portal)
    person.sign_in()
    session = home_app_session(home_app.id)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    back = person.consent(url, "cancel").headers["Location"]
    query = parse_qs(urlsplit(back).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == [state]


def test_a_tv_signs_in_with_the_device_grant_while_the_person_approves(
    portal, discovery, owner, home_app, settings
):
    settings.IDP_OIDC_DEVICE_CODE_INTERVAL = 1  # seconds between polls (5 in production)
    started = requests.post(
        discovery["device_authorization_endpoint"],
        data={"client_id": home_app.id, "scope": "openid phone"},
        timeout=10,
    ).json()
    session = OAuth2Session(home_app.id, scope="openid phone", token_endpoint_auth_method="none")
    device_grant = "urn:ietf:params:oauth:grant-type:device_code"

    def poll() -> requests.Response:
        return requests.post(
            discovery["token_endpoint"],
            data={
                "grant_type": device_grant,
                "device_code": started["device_code"],
                "client_id": home_app.id,
            },
            timeout=10,
        )

    assert poll().json()["error"] == "authorization_pending"
    # Polling faster than the interval is told to slow down (RFC 8628).
    assert poll().json()["error"] == "slow_down"

    person = Person(portal)
    person.sign_in()
    page = person.open(f"{started['verification_uri']}?code={started['user_code']}")
    assert page.status_code == 200
    assert "Connect Mi Home to your account?" in page.text
    assert started["user_code"] in page.text
    confirmed = person.post_form(
        f"{started['verification_uri']}?code={started['user_code']}",
        page.text,
        {"action": "confirm"},
    )
    assert confirmed.status_code == 200
    assert "Device connected" in confirmed.text

    time.sleep(started["interval"] + 0.1)
    token = session.fetch_token(
        discovery["token_endpoint"],
        grant_type=device_grant,
        device_code=started["device_code"],
    )
    assert token["refresh_token"]
    claims = verified_id_token(
        token["id_token"],
        discovery=discovery,
        client_id=home_app.id,
        nonce=None,
        access_token=token["access_token"],
    )
    assert claims["sub"] == owner.account_id
    assert claims["phone_number"] == PHONE
    session.token = token
    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert userinfo == {
        "sub": owner.account_id,
        "phone_number": PHONE,
        "phone_number_verified": True,
    }


def test_a_first_party_app_skips_the_consent_page(portal, discovery, owner):
    store = register_app(
        name="Mi Store", redirect_uris=[REDIRECT_URI], public=True, first_party=True
    ).client
    person = Person(portal)
    person.sign_in()
    session = home_app_session(store.id)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    answer = person.open(url)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(REDIRECT_URI)
    assert f"state={state}" in answer.headers["Location"]
