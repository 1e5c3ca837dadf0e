"""Passwords are hashed with Argon2id at the parameters of settings; hashes made with other
parameters (Django's defaults) still sign in and are rewritten at that sign-in; hashes run
through a per-process gate of PASSWORD_HASHES_AT_ONCE."""

import threading

import pytest
from argon2 import PasswordHasher, extract_parameters
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.test import Client, override_settings

from accounts.auth import hashers
from accounts.models import User
from tests.helpers import GOOD_PASSWORD, sign_in, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


def parameters(encoded: str):
    return extract_parameters("$" + encoded.split("$", 1)[1])


def test_new_hashes_are_argon2id_at_owasp_minimum_by_default():
    stored = parameters(make_password(GOOD_PASSWORD))
    assert stored.type.name == "ID"
    assert (stored.memory_cost, stored.time_cost, stored.parallelism) == (19 * 1024, 2, 1)


@override_settings(ARGON2_MEMORY_KIB=24 * 1024, ARGON2_TIME_COST=3, ARGON2_PARALLELISM=2)
def test_the_parameters_come_from_settings():
    stored = parameters(make_password(GOOD_PASSWORD))
    assert (stored.memory_cost, stored.time_cost, stored.parallelism) == (24 * 1024, 3, 2)


def test_a_hash_with_django_defaults_signs_in_and_is_rewritten_with_the_settings(client):
    sign_up(Client(), phone="98765 43210")
    user = User.objects.get(phone="+919876543210")
    user.password = Argon2PasswordHasher().encode(GOOD_PASSWORD, "oldsaltoldsalt12")
    user.save(update_fields=["password"])
    assert parameters(user.password).memory_cost == 102400

    response = sign_in(client, "+919876543210")

    assert response.status_code == 302
    user.refresh_from_db()
    stored = parameters(user.password)
    assert (stored.memory_cost, stored.time_cost, stored.parallelism) == (19 * 1024, 2, 1)
    assert PasswordHasher().verify("$" + user.password.split("$", 1)[1], GOOD_PASSWORD)


@override_settings(PASSWORD_HASHES_AT_ONCE=1)
def test_a_hash_waits_while_the_allowed_number_are_running():
    encoded = make_password(GOOD_PASSWORD)
    results: list[bool] = []
    waiting = threading.Thread(
        target=lambda: results.append(hashers.Argon2idHasher().verify(GOOD_PASSWORD, encoded))
    )
    with hashers.hash_slot():  # one hash running: the only slot is taken
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive() and results == []
    waiting.join(timeout=30)
    assert results == [True]
