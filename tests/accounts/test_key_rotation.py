"""Rotating the portal's keys loses nothing: after SECRET_KEY is replaced (the old one in
SECRET_KEY_FALLBACKS), and after a new encryption key is put first, `manage.py reencrypt` run
and the old key dropped, the authenticator app, SMS codes, recovery codes, queued messages and
a phone's token all still work."""

import io

import pyotp
import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import User
from config import crypto
from devices.enrolment import device_for_token, enroll_device
from tests.helpers import (
    GOOD_PASSWORD,
    code_sent_to,
    sign_in,
    with_second_factor,
    with_sms_second_factor,
)
from verification.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+919876543210"
OLD_KEY = "dev-only-encryption-key-do-not-use-in-production"
NEW_KEY = "a-new-encryption-key-" + "Q7w2E9r4T6y1U8i3O5p0"


def _second_factors_work(key: str, clock) -> None:
    """Sign in three times with the password and, in turn, an app code, an SMS code and a
    recovery code."""
    clock.shift(31)  # a new app code: the last one was used
    by_app = Client()
    sign_in(by_app, PHONE)
    assert (
        by_app.post(
            "/accounts/2fa/authenticate/", {"method": "app", "code": pyotp.TOTP(key).now()}
        ).url
        == "/account/"
    )
    by_sms = Client()
    sign_in(by_sms, PHONE)
    by_sms.post("/accounts/2fa/authenticate/", {"method": "sms", "action": "send"})
    assert (
        by_sms.post(
            "/accounts/2fa/authenticate/", {"method": "sms", "code": code_sent_to(PHONE)}
        ).url
        == "/account/"
    )
    codes = Authenticator.objects.get(type=Authenticator.Type.RECOVERY_CODES).wrap()
    by_recovery = Client()
    sign_in(by_recovery, PHONE)
    assert (
        by_recovery.post(
            "/accounts/2fa/authenticate/", {"method": "app", "code": codes.get_unused_codes()[0]}
        ).url
        == "/account/"
    )


def test_rotating_secret_key_and_the_encryption_key_loses_nothing(phone_client, settings):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    with time_machine.travel(timezone.now(), tick=False) as clock:
        with_sms_second_factor(phone_client, PHONE)
        key = with_second_factor(phone_client, password=GOOD_PASSWORD)
        user = User.objects.get(phone=PHONE)
        _, token = enroll_device(
            user=user, name="Asha's phone", model="Redmi", platform="android", hardware_id="imei-1"
        )
        queued = OutboundMessage(channel="sms", to=PHONE, kind="notice", preview="…")
        queued.set_content(body="still readable", html="")
        queued.save()

        with override_settings(
            SECRET_KEY="a-new-secret-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
        ):
            _second_factors_work(key, clock)
            assert queued.content()["body"] == "still readable"
            assert device_for_token(token) is not None

        with override_settings(ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
            _second_factors_work(key, clock)
            assert device_for_token(token) is not None  # and hashed under the new key now
            out = io.StringIO()
            call_command("reencrypt", stdout=out)
            assert "2 authenticators, 1 sms second factors, 1 messages" in out.getvalue()

        # The old encryption key gone, and SECRET_KEY replaced with no fallback: everything was
        # moved to the new key.
        with override_settings(
            ENCRYPTION_KEYS=[NEW_KEY],
            SECRET_KEY="yet-another-secret-key-" + "z" * 40,
            SECRET_KEY_FALLBACKS=[],
        ):
            _second_factors_work(key, clock)
            queued.refresh_from_db()
            assert queued.content()["body"] == "still readable"
            assert device_for_token(token) is not None

        # Without the key it was encrypted under, nothing decrypts: the keys really changed.
        with (
            override_settings(ENCRYPTION_KEYS=[OLD_KEY], SECRET_KEY="another-" + "w" * 40),
            pytest.raises(ValueError),
        ):
            crypto.decrypt(queued.encrypted_content)
