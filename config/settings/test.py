"""Settings for the test suite.

PostgreSQL and Redis are used when `DATABASE_URL` / `REDIS_URL` are set or answer on localhost;
otherwise the suite runs on SQLite and in-process doubles, and the tests that need the real
services are skipped with the reason printed (or fail, with `REQUIRE_SERVICES=1`).
"""

import os
import secrets
import socket
import tempfile


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CAPTCHA_TEST_MODE", "1")
os.environ.setdefault("SMS_BACKEND", "outbox")
os.environ.setdefault("EMAIL_DELIVERY", "outbox")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="portal-test-"))
if "DATABASE_URL" not in os.environ and _answers("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/portal"
# Redis: the suite touches only what it makes (SPEC 2). Unless REDIS_URL names a server, it
# starts a redis-server of its own on a free port when the binary is there (the pytest process
# starts it once; processes the tests start inherit REDIS_URL). Whatever the server, every key
# the suite writes, the cache's and the broker's, is under a prefix of this run's, which the
# suite removes at its end (tests/conftest.py); it never flushes a database.
if "REDIS_URL" not in os.environ:
    from tests.redis_isolation import start_own_redis

    _own = start_own_redis()
    if _own:
        os.environ["REDIS_URL"] = _own
    elif _answers("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/0"
os.environ.setdefault("TEST_REDIS_PREFIX", f"portal-test-{secrets.token_hex(6)}")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import CACHES, REDIS_URL  # noqa: E402

# This run's keys: the cache's are "<prefix>:<version>:<key>", the broker's "<prefix>:<key>"
# (kombu's global_keyprefix), so a running portal's queue is never consumed by the suite and
# two suites on one server keep apart.
TEST_REDIS_PREFIX = os.environ["TEST_REDIS_PREFIX"]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS | {  # noqa: F405
        "global_keyprefix": f"{TEST_REDIS_PREFIX}:"
    }
    CACHES = {
        "default": {
            "BACKEND": CACHES["default"]["BACKEND"],  # the portal's, or Django's (STOCK_PARTS)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": TEST_REDIS_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}

USES_POSTGRES = bool(os.environ.get("DATABASE_URL"))
USES_REDIS = bool(REDIS_URL)
