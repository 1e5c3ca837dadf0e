"""The environment of a portal process started with production settings: its host name, its
secret key, and the variables that point it at the suite's database and a Redis of its own."""

import os
from pathlib import Path

from django.conf import settings

from config.signing_keys import new_private_key

HOST = "portal.test"
PRODUCTION_KEY = "production-test-key-" + "k9Q2xV7mL4pR8sT1wZ6bN3cF5hJ0dG"
PRODUCTION_ENCRYPTION_KEY = "production-encryption-key-" + "Zr4Hq8Wn2Lk6Tp0Vy3Bs7Dm1"


def production_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    signing_key = tmp_path / "oidc-signing-key.pem"
    signing_key.write_text(new_private_key())
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CAPTCHA_", "SMS_", "EMAIL_", "DEBUG"))
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": PRODUCTION_KEY,
        "ENCRYPTION_KEYS": PRODUCTION_ENCRYPTION_KEY,
        "OIDC_SIGNING_KEYS": str(signing_key),
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        # A Redis server of its own: no worker of the suite consumes the server's tasks.
        "REDIS_URL": redis_url,
        "VAR_DIR": str(tmp_path),
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "production-test-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "LOG_LEVEL": "DEBUG",
    }
