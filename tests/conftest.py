"""Shared fixtures: service detection, a real Celery worker, the Twilio transport double, and
accounts signed up by phone and by email."""

import os
import shutil
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from redis.exceptions import RedisError

from tests.browser.chromium import CHROMIUM
from tests.processes import RedisServer
from tests.redis_isolation import Sentinels

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"


# Asserts in these helper modules report the values they compared when they fail, as a test
# module's do (pytest rewrites them); each is named here before anything imports it.
pytest.register_assert_rewrite("tests.helpers", "tests.browser.pages", "tests.devices.api_clients")

_SENTINELS = pytest.StashKey["Sentinels"]()


def services_available() -> bool:
    return bool(settings.USES_POSTGRES and settings.USES_REDIS)


def speech_available() -> bool:
    return bool(settings.CAPTCHA_SPEECH_PATH)


def browser_available() -> bool:
    return shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM)


def pytest_sessionstart(session):
    problems = []
    if REQUIRE_SERVICES and not services_available():
        problems.append(
            "REQUIRE_SERVICES=1 but PostgreSQL and Redis are not both in use "
            f"(postgres={settings.USES_POSTGRES}, redis={settings.USES_REDIS})"
        )
    if REQUIRE_SERVICES and not speech_available():
        problems.append("REQUIRE_SERVICES=1 but espeak-ng (the audio CAPTCHA) is not installed")
    if REQUIRE_BROWSER and not browser_available():
        problems.append(f"REQUIRE_BROWSER=1 but Chromium is not at {CHROMIUM}")
    if problems:
        pytest.exit("; ".join(problems), returncode=3)
    if settings.USES_REDIS:
        sentinels = Sentinels(settings.REDIS_URL, settings.TEST_REDIS_PREFIX)
        try:
            sentinels.plant()
        except RedisError as error:
            pytest.exit(f"Redis at {settings.REDIS_URL} does not answer ({error})", returncode=3)
        session.config.stash[_SENTINELS] = sentinels


def pytest_sessionfinish(session, exitstatus):
    """The suite touched only Redis data it made: every key "someone else" had before it is
    still there, and the run's own keys go."""
    sentinels = session.config.stash.get(_SENTINELS, None)
    if sentinels is None:
        return
    try:
        missing = sentinels.missing()
        sentinels.remove()
        cache.clear()  # the run's keys: "<prefix>:*", the cache's and the broker's alike
        message = f"The suite removed Redis keys it did not make, on {settings.REDIS_URL}: "
        message += ", ".join(missing)
    except RedisError as error:
        missing = [str(error)]
        message = f"Could not check that the suite left others' Redis keys alone ({error})"
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True, bold=True)
        else:
            print(message, file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header(config):
    return (
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"cache and broker: {_redis_in_use()}, "
        f"chromium: {'yes' if browser_available() else 'no'}"
    )


def _redis_in_use() -> str:
    if not settings.USES_REDIS:
        return "in-process"
    return f"redis at {settings.REDIS_URL}, keys under {settings.TEST_REDIS_PREFIX}:"


NO_SERVICES = "needs postgres and redis: set DATABASE_URL and REDIS_URL or run them on localhost"


def pytest_collection_modifyitems(config, items):
    # With REQUIRE_SERVICES=1 / REQUIRE_BROWSER=1 the session has already stopped instead.
    for item in items:
        if "services" in item.keywords and not services_available():
            item.add_marker(pytest.mark.skip(reason=NO_SERVICES))  # reason: postgres, redis
        if "audio" in item.keywords and not speech_available():
            item.add_marker(pytest.mark.skip(reason="needs espeak-ng: apt-get install espeak-ng"))
        if "browser" in item.keywords and not browser_available():
            item.add_marker(pytest.mark.skip(reason=f"needs a chromium browser at {CHROMIUM}"))


@pytest.fixture(autouse=True)
def _fresh_cache():
    from devices.last_seen import seen_times

    seen_times.discard()  # a device's last-seen time an earlier test noted
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _test_delivery_settings(settings):
    settings.MESSAGE_RETRY_BASE_DELAY = 0.05
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_HTTP_CLIENT = "tests.doubles.RecordingTwilioHttpClient"
    # Django's test runner swaps every mailer for locmem; the portal's dev outbox is the
    # mailer under test (tests/verification/test_smtp.py switches to real SMTP).
    settings.MAILERS = {"default": {"BACKEND": "verification.backends.email.OutboxEmailBackend"}}


@pytest.fixture
def phone_client() -> Client:
    """A test client that signed up by phone (+91 98765 43210) and so is signed in."""
    from tests.helpers import sign_up

    client = Client()
    sign_up(client, phone="98765 43210")
    return client


@pytest.fixture
def email_client() -> Client:
    """A test client that signed up by email (asha@example.com) and so is signed in."""
    from tests.helpers import sign_up

    client = Client()
    sign_up(client, email="asha@example.com")
    return client


@pytest.fixture
def staff_client(monkeypatch) -> Client:
    """A superuser made by `createadmin`, signed in with a second factor (admin needs one)."""
    from django.core.management import call_command

    from tests.helpers import STAFF_PASSWORD, with_second_factor

    monkeypatch.setitem(os.environ, "ADMIN_PASSWORD", STAFF_PASSWORD)
    call_command("createadmin", email="staff@example.com")
    client = Client()
    assert client.login(username="staff@example.com", password=STAFF_PASSWORD)
    with_second_factor(client)
    return client


@pytest.fixture
def moderator() -> Client:
    """A staff member in the Moderators group, signed in with a second factor."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from tests.helpers import GOOD_PASSWORD, sign_up, with_second_factor

    client = Client()
    sign_up(client, email="mod@example.com")
    user = User.objects.get(email="mod@example.com")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Moderators"))
    with_second_factor(client, password=GOOD_PASSWORD)
    return client


@pytest.fixture
def home_app():
    """The smart-home app, registered for ecosystem sign-in: public (PKCE), with the device
    grant, its callback at tests.ecosystem.relying_party.REDIRECT_URI."""
    from ecosystem.actions import register_app
    from tests.ecosystem.relying_party import REDIRECT_URI

    return register_app(
        name="Mi Home", redirect_uris=[REDIRECT_URI], public=True, device_grant=True
    ).client


@pytest.fixture
def redis_server_installed():
    """The test starts redis-server itself: a failure with REQUIRE_SERVICES=1 when it is not
    installed, else a skip that says how to install it."""
    if shutil.which("redis-server") is None:
        if REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES=1 but redis-server is not installed")
        pytest.skip(
            "needs redis-server, for a server of the test's own: apt-get install redis-server"
        )


@pytest.fixture
def own_redis(redis_server_installed):
    """A redis-server of this test's own on a free port, for processes the test starts or for
    a server it stops and starts (tests/processes.py)."""
    server = RedisServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def twilio():
    """The Twilio transport double: what the `twilio` library sent, and what it answers."""
    from tests.doubles import RecordingTwilioHttpClient

    RecordingTwilioHttpClient.reset()
    yield RecordingTwilioHttpClient
    RecordingTwilioHttpClient.reset()


@pytest.fixture(scope="session")
def _worker_session(django_db_setup, django_db_blocker):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    if settings.USES_REDIS:
        app.control.purge()
    running = start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"
    )
    # Celery's Django fixup runs the system checks as the worker starts; on SQLite they open
    # the database. Tasks themselves only touch it inside tests that allow it.
    with django_db_blocker.unblock():
        worker = running.__enter__()
    try:
        yield worker
    finally:
        running.__exit__(None, None, None)
        _drop_the_workers_connection(django_db_blocker)


def _drop_the_workers_connection(django_db_blocker) -> None:
    """The worker thread keeps its database connection from task to task (config/celery.py),
    and it outlives the thread: end it, or the test database cannot be dropped."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()  # and this one: left open, it too kept the database from being dropped


@pytest.fixture
def celery_worker(_worker_session, transactional_db, _eager_tasks):
    """A real Celery worker (a thread of this process) consuming the real broker."""
    from config.celery import app

    app.conf.task_always_eager = False
    return _worker_session


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Without a worker, tasks run inline when enqueued; `celery_worker` switches that off."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
