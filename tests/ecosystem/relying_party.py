"""The home app as an independent relying party (Authlib) and the person's browser as a plain
HTTP client, for the ecosystem sign-in tests against a live portal."""

import re
import secrets
import warnings
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken

from tests.helpers import GOOD_PASSWORD

with warnings.catch_warnings():
    # Authlib's JOSE module (its own, not the portal's) is what verifies the tokens here.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt

REDIRECT_URI = "http://127.0.0.1:9/home-app/callback"
PHONE = "+919876543210"
EMAIL = "asha@example.com"


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


def verified_id_token(
    id_token: str, *, discovery: dict, client_id: str, nonce: str | None, access_token: str
):
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
