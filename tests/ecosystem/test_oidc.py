"""Ecosystem sign-in (SPEC 12) driven by an independent relying party, Authlib, against a live
portal: the authorization code grant with PKCE through the real sign-in and consent pages,
refresh (rotated; a reused one ends the grant), the device grant, userinfo; every ID token
verified by Authlib against the portal's published keys."""

import re
import secrets
import time
import warnings
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken

from accounts.models import User
from ecosystem.actions import register_app
from tests.helpers import GOOD_PASSWORD

with warnings.catch_warnings():
    # Authlib's JOSE module (its own, not the portal's) is what verifies the tokens here.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt

pytestmark = pytest.mark.django_db(transaction=True)

REDIRECT_URI = "http://127.0.0.1:9/home-app/callback"
PHONE = "+919876543210"
EMAIL = "asha@example.com"


@pytest.fixture
def portal(live_server, settings):
    """The live portal, its issuer the address it is reached at."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def discovery(portal) -> dict:
    answer = requests.get(f"{portal}/.well-known/openid-configuration", timeout=10)
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture
def owner():
    return User.objects.create_user(phone=PHONE, email=EMAIL, password=GOOD_PASSWORD, language="en")


@pytest.fixture
def home_app():
    return register_app(
        name="Mi Home", redirect_uris=[REDIRECT_URI], public=True, device_grant=True
    ).client


class Person:
    """The owner's browser, as a plain HTTP client: it signs in on the portal's page and answers
    the consent page."""

    def __init__(self, portal: str) -> None:
        self.portal = portal
        self.http = requests.Session()

    def post_form(self, url: str, page: str, data: dict) -> requests.Response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.http.post(
            url,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=10,
        )

    def sign_in(self, password: str = GOOD_PASSWORD) -> None:
        url = f"{self.portal}/accounts/login/"
        page = self.http.get(url, timeout=10).text
        answer = self.post_form(url, page, {"login": PHONE, "password": password})
        assert answer.status_code == 302, answer.text[:500]

    def open(self, url: str) -> requests.Response:
        return self.http.get(url, allow_redirects=False, timeout=10)

    def consent(self, page_url: str, action: str) -> requests.Response:
        page = self.open(page_url)
        assert page.status_code == 200, page.text[:500]
        request = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
        scopes = re.findall(r'name="scopes" value="([^"]+)"', page.text)
        return self.post_form(
            f"{self.portal}/identity/o/authorize",
            page.text,
            {"request": request, "scopes": scopes, "action": action},
        )


def home_app_session(client_id: str, scope: str = "openid phone email profile") -> OAuth2Session:
    return OAuth2Session(
        client_id,
        redirect_uri=REDIRECT_URI,
        scope=scope,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )


def verified_id_token(id_token: str, *, discovery: dict, client_id: str, nonce: str, access_token):
    """Authlib checks the signature against the published JWKS, the issuer, the audience, the
    nonce, the times and the access token's hash."""
    keys = JsonWebKey.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        id_token,
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": discovery["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    claims.validate()
    return claims


def authorize(person: Person, session: OAuth2Session, discovery: dict) -> tuple[dict, str]:
    """The code grant with PKCE: the app sends the person to the portal, who signs in and
    allows it; the app exchanges the code. Returns the token and the nonce."""
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    answer = person.consent(url, "grant")
    assert answer.status_code == 302
    back = answer.headers["Location"]
    assert back.startswith(REDIRECT_URI)
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=back, code_verifier=verifier
    )
    return token, nonce


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
    session.token = token
    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert userinfo == {
        "sub": owner.account_id,
        "phone_number": PHONE,
        "phone_number_verified": True,
    }
