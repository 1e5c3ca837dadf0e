"""Ecosystem sign-in in Chromium: the smart-home app (Authlib, the relying party) sends the
person to the portal, who signs in as usual, second factor included, and presses Allow on the
consent page; the app gets a code, exchanges it with its PKCE verifier and verifies the ID
token against the published keys. The app then shows on /account/apps/, and Remove access
makes its next refresh fail. A TV (the device grant) polls while the person approves its code
in the browser."""

import re
import secrets
import threading
import time

import pytest
import requests
from django.test import Client
from playwright.sync_api import expect

from tests.browser.pages import ARTIFACTS, totp_code
from tests.ecosystem.relying_party import (
    PHONE,
    REDIRECT_URI,
    home_app_session,
    verified_id_token,
)
from tests.helpers import GOOD_PASSWORD, sign_up, with_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_home_app_signs_a_person_in_through_the_consent_page(
    portal, live_server, settings, home_app
):
    settings.PUBLIC_BASE_URL = live_server.url
    owner = Client()
    sign_up(owner, phone="98765 43210")
    key = with_second_factor(owner, password=GOOD_PASSWORD)
    discovery = requests.get(
        f"{live_server.url}/.well-known/openid-configuration", timeout=10
    ).json()

    session = home_app_session(home_app.id)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    back: list[str] = []  # where the portal sends the browser: the app's callback
    portal.route(
        f"{REDIRECT_URI}**",
        lambda route: (back.append(route.request.url), route.fulfill(body="<p>Mi Home</p>")),
    )

    portal.goto(url)
    expect(portal).to_have_url(re.compile(r"/accounts/login/"))
    portal.get_by_label("Phone number, email or account ID").fill(PHONE)
    portal.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    portal.get_by_role("button", name="Sign in", exact=True).click()
    expect(portal).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    portal.locator("#id_code").fill(totp_code(key)[0])
    portal.locator("button[name=action][value=verify]").click()

    expect(portal.get_by_role("heading", level=1)).to_have_text(
        "Mi Home wants to sign you in with your account"
    )
    expect(portal.get_by_text("Your phone number")).to_be_visible()
    portal.screenshot(path=str(ARTIFACTS / "ecosystem-consent.png"), full_page=True)
    portal.get_by_role("button", name="Allow").click()
    expect(portal.get_by_text("Mi Home")).to_be_visible()
    assert back and back[0].startswith(REDIRECT_URI) and f"state={state}" in back[0]

    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=back[0], code_verifier=verifier
    )
    claims = verified_id_token(
        token["id_token"],
        discovery=discovery,
        client_id=home_app.id,
        nonce=nonce,
        access_token=token["access_token"],
    )
    assert claims["phone_number"] == PHONE

    portal.goto("/account/apps/")
    expect(portal.get_by_text("Mi Home")).to_be_visible()
    portal.screenshot(path=str(ARTIFACTS / "ecosystem-apps.png"), full_page=True)
    portal.get_by_role("button", name="Remove access: Mi Home").click()
    expect(portal.get_by_text("Mi Home no longer has access to your account.")).to_be_visible()

    refreshed = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": home_app.id,
        },
        timeout=10,
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_a_tv_polls_while_the_person_approves_its_code_in_the_browser(
    portal, live_server, settings, home_app
):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.IDP_OIDC_DEVICE_CODE_INTERVAL = 1
    sign_up(Client(), phone="98765 43210")
    discovery = requests.get(
        f"{live_server.url}/.well-known/openid-configuration", timeout=10
    ).json()
    started = requests.post(
        discovery["device_authorization_endpoint"],
        data={"client_id": home_app.id, "scope": "openid phone"},
        timeout=10,
    ).json()
    tv = home_app_session(home_app.id, scope="openid phone")
    polled: dict = {"answers": []}

    def ask() -> dict:
        answer = requests.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": started["device_code"],
                "client_id": home_app.id,
            },
            timeout=10,
        ).json()
        polled["answers"].append(answer.get("error", "token"))
        return answer

    def poll() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "token" not in polled:
            time.sleep(started["interval"] + 0.1)
            answer = ask()
            if "access_token" in answer:
                polled["token"] = answer

    ask()  # the TV's first poll: nobody has allowed it yet

    television = threading.Thread(target=poll)
    television.start()

    portal.goto(started["verification_uri"])
    expect(portal).to_have_url(re.compile(r"/accounts/login/"))
    portal.get_by_label("Phone number, email or account ID").fill(PHONE)
    portal.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    portal.get_by_role("button", name="Sign in", exact=True).click()
    portal.get_by_label("Code").fill(started["user_code"])
    portal.get_by_role("button", name="Continue").click()
    expect(portal.get_by_role("heading", level=1)).to_have_text("Connect Mi Home to your account?")
    portal.get_by_role("button", name="Allow").click()
    expect(portal.get_by_role("heading", level=1)).to_have_text("Device connected")
    television.join(timeout=30)

    assert "authorization_pending" in polled["answers"]
    token = polled["token"]
    claims = verified_id_token(
        token["id_token"],
        discovery=discovery,
        client_id=home_app.id,
        nonce=None,
        access_token=token["access_token"],
    )
    assert claims["phone_number"] == PHONE
    tv.token = token
    assert tv.get(discovery["userinfo_endpoint"], timeout=10).json()["sub"] == claims["sub"]
