"""Settings come from the environment, parsed strictly; production refuses development parts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "DEBUG",
                "SECRET_KEY",
                "ENCRYPTION_KEYS",
                "CAPTCHA",
                "SMS_",
                "EMAIL_",
                "PASSWORD_",
                "PHONE_",
                "DATABASE_URL",
                "REDIS_URL",
            )
        )
    }
    clean |= {"VAR_DIR": str(ROOT / "var" / "settings-test")} | env
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings.base as s; "
            "print(s.SMS_BACKEND, s.MAILERS['default']['BACKEND'],"
            " s.PASSWORD_MIN_LENGTH, len(s.AUTH_PASSWORD_VALIDATORS))",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        (
            {"DEBUG": "1", "VERIFICATION_CODE_TTL": "ten"},
            "VERIFICATION_CODE_TTL must be a whole number",
        ),
        ({"DEBUG": "1", "SMS_BACKEND": "pigeon"}, "SMS_BACKEND must be one of"),
        ({"DEBUG": "1", "PASSWORD_POLICY": "weak"}, "PASSWORD_POLICY must be one of"),
        ({"DEBUG": "0"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "k" * 50}, "ENCRYPTION_KEYS must be set"),
        (
            {"DEBUG": "0", "SECRET_KEY": "k" * 50, "ENCRYPTION_KEYS": "short"},
            "at least 32 characters",
        ),
        (
            {"DEBUG": "0", "SECRET_KEY": "k" * 50, "CAPTCHA_TEST_MODE": "1"},
            "CAPTCHA_TEST_MODE is for",
        ),
        ({"DEBUG": "0", "SECRET_KEY": "k" * 50, "SMS_BACKEND": "outbox"}, "SMS_BACKEND=outbox"),
        ({"DEBUG": "0", "SECRET_KEY": "k" * 50, "EMAIL_DELIVERY": "outbox"}, "EMAIL_DELIVERY="),
        ({"DEBUG": "1", "ARGON2_MEMORY_KIB": "7168"}, "ARGON2_MEMORY_KIB must be at least 19456"),
        ({"DEBUG": "1", "ARGON2_TIME_COST": "1"}, "ARGON2_TIME_COST=1 needs ARGON2_MEMORY_KIB"),
        ({"DEBUG": "1", "SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE": "0"}, "must be at least 1"),
    ],
)
def test_a_bad_or_unsafe_setting_stops_start_up_with_a_clear_message(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_defaults_are_twilio_and_smtp():
    result = load_settings(DEBUG="0", SECRET_KEY="k" * 50, ENCRYPTION_KEYS="e" * 40)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == [
        "verification.backends.sms.TwilioSmsBackend",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def test_development_defaults_are_the_dev_outbox():
    result = load_settings(DEBUG="1")
    assert result.stdout.split()[:2] == [
        "verification.backends.sms.OutboxSmsBackend",
        "verification.backends.email.OutboxEmailBackend",
    ]


def test_the_nist_policy_is_one_setting_away():
    classes = load_settings(DEBUG="1").stdout.split()
    nist = load_settings(DEBUG="1", PASSWORD_POLICY="nist").stdout.split()
    assert (classes[2], nist[2]) == ("8", "15")
    assert int(nist[3]) == int(classes[3]) - 1  # no composition rule
