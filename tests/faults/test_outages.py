"""Servers that go away under the portal, stopped and started for real: the Redis behind the
cache and the broker while a sign-up sends its code, and the PostgreSQL server under a stream
of requests to the production web server (granian, config/server.py)."""

import re
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone

from tests.config.production import HOST, production_env
from tests.faults.broker import use_broker
from tests.helpers import create_account, send_code
from tests.processes import (
    PostgresServer,
    TwilioStandIn,
    free_port,
    start_worker,
    wait_until,
)
from verification.models import OutboundMessage

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_sign_up_while_redis_is_down_keeps_its_code_and_delivers_it_once_redis_is_back(
    own_redis, to_broker, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    use_broker(to_broker, own_redis.url)
    own_redis.stop()

    client = Client()
    started = time.monotonic()
    page = send_code(client, phone="9123456789")
    answered_in = time.monotonic() - started
    assert page.status_code == 200, page.content.decode()[:2000]
    message = OutboundMessage.objects.get(to="+919123456789")
    assert message.status == "queued"  # kept in PostgreSQL; its task never reached the broker
    assert answered_in < 10

    own_redis.start()  # back, and empty: nothing of the task is there
    twilio = TwilioStandIn()
    worker = start_worker(
        broker=own_redis.url,
        twilio=twilio,
        beat=True,
        MESSAGE_REQUEUE_EVERY="1",
        MESSAGE_REQUEUE_AFTER="1",
    )
    try:

        def delivered():
            message.refresh_from_db()
            return message.status == "sent"

        wait_until(delivered, 60, "the swept message to be sent", every=0.3)
        time.sleep(2)  # more sweeps come and go: still one message
    finally:
        log = worker.stop()
        twilio.close()
    assert len(twilio.created) == 1, log[-3000:]

    # The code that went out finishes the sign-up.
    code = re.search(r"\b(\d{6})\b", twilio.created[0]["body"]).group(1)
    created = create_account(client, code=code, phone="9123456789")
    assert created.status_code == 302, created.content.decode()[:2000]


@pytest.fixture
def own_postgres():
    server = PostgresServer()
    server.start()
    server.create_database()
    yield server
    server.remove()


def test_the_portal_fails_cleanly_while_postgresql_restarts_and_recovers_by_itself(
    own_postgres, own_redis, tmp_path
):
    env = production_env(tmp_path, own_redis.url) | {"DATABASE_URL": own_postgres.url}
    for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], env=env, check=True, timeout=300, cwd="."
        )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "config.server"],
        env=env | {"BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
    answers: list[tuple[float, str, int | str, requests.Response | None]] = []
    stop = threading.Event()

    def traffic() -> None:
        # A page that writes (its CAPTCHA) and an API call that reads (the device token).
        while not stop.is_set():
            for path, extra in (
                ("/accounts/signup/", {}),
                ("/api/v1/device/commands/", {"Authorization": "Bearer not-a-real-token"}),
            ):
                try:
                    answer = requests.get(base + path, headers=headers | extra, timeout=10)
                    answers.append((time.monotonic(), path, answer.status_code, answer))
                except requests.RequestException as error:
                    answers.append((time.monotonic(), path, type(error).__name__, None))
            time.sleep(0.05)

    try:
        wait_until(lambda: _answers(base), 90, "the web server to serve")
        thread = threading.Thread(target=traffic, daemon=True)
        thread.start()
        ok = (200, 401)
        wait_until(lambda: sum(a[2] in ok for a in answers) >= 4, 60, "answers before the stop")
        stopping_at = time.monotonic()
        own_postgres.stop()
        stopped_at = time.monotonic()
        wait_until(
            lambda: sum(a[0] > stopped_at + 0.5 for a in answers) >= 6, 60, "answers in the gap"
        )
        starting_at = time.monotonic()
        own_postgres.start()
        restarted_at = time.monotonic()
        wait_until(
            lambda: (
                [a[2] for a in answers[-6:]] == [200, 401] * 3 and answers[-1][0] > restarted_at
            ),
            60,
            "the portal to serve again",
        )
        stop.set()
        thread.join(timeout=15)
        assert server.poll() is None  # the same server throughout: no restart needed
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=15)

    before = [a for a in answers if a[0] < stopping_at]
    during = [a for a in answers if stopped_at + 0.5 < a[0] < starting_at]
    assert before and all(a[2] in (200, 401) for a in before), [a[:3] for a in answers]
    # Requests during the gap fail cleanly: 503 with Retry-After and words, never a 500 or a
    # dropped connection.
    assert during and {a[2] for a in answers} <= {200, 401, 503}, {a[2] for a in answers}
    assert all(a[2] == 503 for a in during), [a[1:3] for a in during]
    page = next(a[3] for a in during if a[1] == "/accounts/signup/")
    api = next(a[3] for a in during if a[1].startswith("/api/"))
    assert page is not None and api is not None
    assert page.headers["Retry-After"] == "30"
    assert "briefly unavailable" in page.text
    assert api.json() == {
        "detail": "The portal is briefly unavailable. Nothing was lost: try again in a minute."
    }


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def redis_away(settings):
    """The cache's Redis at an address where nothing answers."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def _queued(to: str) -> None:
    message = OutboundMessage(channel="sms", kind="signup_code", to=to)
    message.set_content(body="x")
    message.save()


def test_while_redis_is_away_the_sms_budgets_are_counted_from_postgresql(redis_away, settings):
    from django.core.cache import cache

    from verification.limits import SmsBlocked, allow_send

    settings.SMS_SENDS_PER_PREFIX_PER_HOUR = 3
    settings.VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR = 2
    cache.set("anything", 1)  # reads as a miss, raises nothing
    assert cache.get("anything") is None

    assert allow_send(ip="203.0.113.9", destination="+919123456780")
    _queued("+919123456780")
    _queued("+919123456780")
    # The number's own budget (2 an hour) is spent, counted from the messages queued to it.
    assert not allow_send(ip="203.0.113.9", destination="+919123456780")
    # Its prefix (+91 9123) has 3 messages with this one: the next number there is refused.
    _queued("+919123456781")
    with pytest.raises(SmsBlocked, match="prefix"):
        allow_send(ip="198.51.100.7", destination="+919123456782")
    assert allow_send(ip="198.51.100.7", destination="+919876543210")  # another prefix


def test_while_redis_is_away_the_daily_sms_budget_is_counted_from_postgresql(redis_away, settings):
    from verification.limits import SmsBlocked, allow_send

    settings.SMS_DAILY_BUDGET = 2
    _queued("+919123456780")
    _queued("+919876543210")
    with pytest.raises(SmsBlocked, match="daily"):
        allow_send(ip="203.0.113.9", destination="+917012345678")


def test_while_redis_is_away_sign_in_goes_on_under_the_per_account_delays(redis_away, caplog):
    from django.test import Client

    from tests.helpers import sign_in, sign_up

    sign_up(Client(), phone="98765 43210")
    assert sign_in(Client(REMOTE_ADDR="203.0.113.5"), "+919876543210").status_code == 302
    assert "sign-in limits unavailable" in caplog.text
    for n in range(7):  # the database's counters still stop a guessing run
        sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password="Wrong!Pass9")
    refused = sign_in(Client(REMOTE_ADDR="203.0.113.99"), "+919876543210", password="Wrong!Pass9")
    assert "Too many failed sign-in attempts" in refused.content.decode()


def test_a_worker_holding_tasks_survives_redis_going_away_and_every_code_goes_once(
    own_redis, to_broker
):
    """A multi-threaded worker with sends waiting to be retried when Redis stops: it stays up,
    and once Redis is back every code goes out, once."""
    from verification.tasks import deliver_message_task

    twilio = TwilioStandIn([500] * 6)  # every first attempt fails: six retries wait in the worker
    numbers = [f"+9198765000{n:02d}" for n in range(6)]
    messages = []
    for number in numbers:
        message = OutboundMessage(
            channel="sms",
            kind="signup_code",
            to=number,
            preview="•••",
            expires_at=timezone.now() + timedelta(minutes=10),
        )
        message.set_content(body=f"Account Portal: code for {number}")
        message.save()
        messages.append(message)
    worker = start_worker(
        broker=own_redis.url,
        twilio=twilio,
        pool="threads",
        concurrency=4,
        beat=True,
        MESSAGE_RETRY_BASE_DELAY="4",
        MESSAGE_REQUEUE_EVERY="1",
        MESSAGE_REQUEUE_AFTER="2",
    )
    try:
        use_broker(to_broker, own_redis.url)
        for message in messages:
            deliver_message_task.delay(message.pk)
        wait_until(lambda: len(twilio.posts) >= 6, 30, "six failed first attempts")
        own_redis.stop()
        time.sleep(6)
        assert worker.process.poll() is None, worker.log()[-3000:]
        own_redis.start()

        def all_sent():
            return all(OutboundMessage.objects.get(pk=m.pk).status == "sent" for m in messages)

        wait_until(all_sent, 120, "every code to be sent", every=0.5)
        time.sleep(3)  # sweeps and redeliveries come and go
        assert worker.process.poll() is None, worker.log()[-3000:]
    finally:
        log = worker.stop()
        twilio.close()
    assert sorted(m["to"] for m in twilio.created) == sorted(numbers), log[-3000:]
    assert "Unrecoverable error" not in log, log[-3000:]
