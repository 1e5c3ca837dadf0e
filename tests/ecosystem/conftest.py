"""Fixtures of the ecosystem sign-in tests: the live portal as issuer, its discovery document,
the account and the registered home app."""

import pytest
import requests

from accounts.models import User
from ecosystem.actions import register_app
from tests.ecosystem.relying_party import EMAIL, PHONE, REDIRECT_URI
from tests.helpers import GOOD_PASSWORD


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
