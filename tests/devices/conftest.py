"""Find Device over real HTTP: the person's browser session signed in on the live server
(`owner`) and a phone not yet enrolled (`phone`), both from tests/devices/api_clients.py."""

import pytest

from tests.devices.api_clients import PHONE, Phone, Portal


@pytest.fixture
def owner(live_server, phone_client) -> Portal:
    portal = Portal(live_server.url)
    portal.sign_in(PHONE)
    return portal


@pytest.fixture
def phone(live_server, owner) -> Phone:
    return Phone(live_server.url)
