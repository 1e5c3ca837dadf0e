"""The ID tokens' signing keys (config/signing_keys.py): the newest signs, every listed key is
published, a key may be published before it signs, and production will not start without."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from allauth.idp.oidc.adapter import get_adapter
from django.test import Client

from config.signing_keys import new_private_key, signing_keys
from tests.config.production import PRODUCTION_ENCRYPTION_KEY, PRODUCTION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_files(tmp_path):
    paths = []
    for name in ("new", "old"):
        path = tmp_path / f"{name}.pem"
        path.write_text(new_private_key())
        paths.append(path)
    return paths


def published_kids() -> set[str]:
    return {key["kid"] for key in Client().get("/.well-known/jwks.json").json()["keys"]}


def signing_pem() -> str:
    return get_adapter().get_signing_key().pem


def test_the_newest_key_signs_and_both_are_published(settings, key_files, tmp_path):
    new, old = key_files
    settings.IDP_OIDC_PRIVATE_KEYS = signing_keys(
        [str(new), str(old)], var_dir=tmp_path, debug=False
    )
    assert signing_pem() == new.read_text()
    assert len(published_kids()) == 2


def test_a_key_can_be_published_before_it_signs(settings, key_files, tmp_path):
    new, old = key_files
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    settings.IDP_OIDC_PRIVATE_KEYS = signing_keys(
        [f"{new}@{later}", str(old)], var_dir=tmp_path, debug=False
    )
    assert signing_pem() == old.read_text()
    assert len(published_kids()) == 2


def test_production_refuses_to_start_without_a_signing_key(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": PRODUCTION_KEY,
        "ENCRYPTION_KEYS": PRODUCTION_ENCRYPTION_KEY,
        "ALLOWED_HOSTS": "portal.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/none",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings.production"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "OIDC_SIGNING_KEYS must be set in production." in result.stderr


def test_a_signing_key_is_parsed_once_per_process(settings, key_files, tmp_path):
    from allauth.core.internal import jwkkit

    new, _ = key_files
    settings.IDP_OIDC_PRIVATE_KEYS = signing_keys([str(new)], var_dir=tmp_path, debug=False)
    first_jwk, first_key = jwkkit.load_jwk_from_pem(new.read_text())
    first_jwk["use"] = "sig"  # a caller adding to its copy changes nobody else's
    second_jwk, second_key = jwkkit.load_jwk_from_pem(new.read_text())
    assert second_key is first_key
    assert "use" not in second_jwk
