"""The environment of a portal process started with production settings: its host name, its
secret key, and the variables that point it at the suite's database and a Redis of its own; and
the web server started as production starts it."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from django.conf import settings

from config.signing_keys import new_private_key
from tests.processes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

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


@contextmanager
def production_server(env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """The web server as production runs it (`python -m config.server`: granian, config/server.py)
    on a free loopback port with `env` and its static files collected, its output in `log`;
    yields its address and process, and stops it as compose and systemd do (SIGTERM)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "config.server"],
            cwd=ROOT,
            env=env | {"BIND": f"127.0.0.1:{port}"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base) or process.poll() is not None, 90, "the web server")
        if process.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(base: str) -> bool:
    """Whether the server at `base` answers its liveness probe now."""
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    return False
