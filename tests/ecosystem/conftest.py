"""Fixtures of the ecosystem sign-in tests: the live portal as issuer, its discovery document,
and the account (the home app is the suite's: tests/conftest.py)."""

import pytest
import requests

from accounts.models import User
from tests.ecosystem.relying_party import EMAIL, PHONE
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
