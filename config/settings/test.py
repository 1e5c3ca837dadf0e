"""Settings for the test suite.

PostgreSQL and Redis are used when `DATABASE_URL` / `REDIS_URL` are set or answer on localhost;
otherwise the suite runs on SQLite and in-process doubles, and the tests that need the real
services are skipped with the reason printed (or fail, with `REQUIRE_SERVICES=1`).
"""

import os
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
if "REDIS_URL" not in os.environ and _answers("127.0.0.1", 6379):
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/0"

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import REDIS_URL  # noqa: E402

# Tests get their own Redis database for the broker and the cache, so a running dev portal's
# queue is never consumed by the suite (TEST_REDIS_DB keeps two suites apart).
if REDIS_URL:
    _test_redis = REDIS_URL.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_REDIS_DB", "15")
    CELERY_BROKER_URL = _test_redis
    # Spare databases for the tests that start servers or workers of their own (a second suite
    # running beside this one sets other numbers).
    TEST_REDIS_SPARE = [
        REDIS_URL.rsplit("/", 1)[0] + "/" + number
        for number in os.environ.get("TEST_REDIS_SPARE_DBS", "8,9").split(",")
    ]
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": _test_redis,
            "KEY_PREFIX": "portal-test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
    TEST_REDIS_SPARE = ["redis://127.0.0.1:6379/8", "redis://127.0.0.1:6379/9"]

USES_POSTGRES = bool(os.environ.get("DATABASE_URL"))
USES_REDIS = bool(REDIS_URL)
