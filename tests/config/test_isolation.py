"""The suite touches only the Redis data it makes (SPEC 2; tests/redis_isolation.py).

Every run checks it on the server it uses (tests/conftest.py plants a key of "someone else's"
in every database before the first test and fails the run if one is gone after the last).
Here a part of the suite that uses Redis the most (a real Celery worker on the broker, the
cache cleared before every test, the sign-in limits, workers of the fault tests) runs against
a Redis that holds another program's data in every database, queues named like Celery's
included, and leaves every key of it as it was, and none of its own.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.redis_isolation import database_url

ROOT = Path(__file__).resolve().parents[2]
PART = [
    "tests/verification/test_delivery.py",
    "tests/config/test_cache.py",
    "tests/accounts/test_brute_force.py",
    "tests/faults/test_delivery_faults.py::test_a_code_that_expires_while_twilio_fails_is_never_sent",
]


def another_programs_data(client: redis.Redis, number: int) -> dict[bytes, object]:
    """What another program keeps in database `number`: a setting, its Celery queue and
    bindings, a hash, and cache keys named like the portal's and like the suite's."""
    client.set("app:setting", f"kept in db {number}")
    client.rpush("celery", f"a task of db {number}", "another task")
    client.sadd("_kombu.binding.celery", f"binding of db {number}")
    client.hset("app:session", mapping={"user": str(number)})
    client.set("portal:1:limit", f"a running portal's counter, db {number}")
    client.set("portal-test:1:limit", f"an older suite's key, db {number}")
    return snapshot(client)


def snapshot(client: redis.Redis) -> dict[bytes, object]:
    return {key: client.dump(key) for key in client.scan_iter(count=1000)}


@pytest.mark.services
def test_a_run_of_the_suite_leaves_another_programs_redis_data_as_it_was(own_redis):
    clients = [redis.Redis.from_url(database_url(own_redis.url, n)) for n in range(16)]
    before = [another_programs_data(client, number) for number, client in enumerate(clients)]
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_REDIS", "PYTEST_"))}
    env |= {
        "REDIS_URL": own_redis.url,
        # A database of the run's own: pytest-django makes test_<name> and drops it.
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/"
        f"isolation_{secrets.token_hex(4)}",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PART],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout[-2000:]
    after = [snapshot(client) for client in clients]
    for number in range(16):
        assert after[number] == before[number], f"db {number}"


def test_without_redis_url_the_suite_starts_a_redis_server_of_its_own(redis_server_installed):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "TEST_REDIS"))}
    code = (
        "import redis, config.settings.test as s;"
        "print(s.REDIS_URL, s.TEST_REDIS_PREFIX, redis.Redis.from_url(s.REDIS_URL).ping())"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert answer.returncode == 0, answer.stderr
    url, prefix, answered = answer.stdout.split()
    assert url.startswith("redis://127.0.0.1:") and not url.startswith("redis://127.0.0.1:6379/")
    assert prefix.startswith("portal-test-") and answered == "True"
