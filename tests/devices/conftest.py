"""Find Device over real HTTP: the person's browser session signed in on the live server
(`owner`) and a phone not yet enrolled (`phone`), both from tests/devices/api_clients.py."""

import pytest
from django.test import Client

from tests.devices.api_clients import PHONE, Phone, Portal
from tests.helpers import sign_up


@pytest.fixture
def owner(live_server) -> Portal:
    sign_up(Client(), phone="98765 43210")
    portal = Portal(live_server.url)
    portal.sign_in(PHONE)
    return portal


@pytest.fixture
def phone(live_server, owner) -> Phone:
    return Phone(live_server.url)
