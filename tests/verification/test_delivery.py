"""Delivery through Celery: enqueued on commit, delivered by a real worker, sent once."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from verification.actions.delivery import AttemptInFlight, deliver_message
from verification.actions.messages import queue_message
from verification.models import DevOutboxMessage, OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_real_worker_delivers_a_queued_message(celery_worker):
    message = queue_message(
        channel="sms",
        to="+919876543210",
        template="accounts/messages/signup_code",
        language="en",
        secrets_={"code": "482913"},
    )
    assert wait_for(lambda: OutboundMessage.objects.get(pk=message.pk).status == "sent")
    assert "482913" in DevOutboxMessage.objects.get(to="+919876543210").body


@pytest.mark.services
def test_the_worker_keeps_its_database_connection_from_task_to_task(celery_worker):
    """Celery's Django fixup would close it around every task: a new PostgreSQL server
    process per message."""

    def sessions_so_far() -> int:
        time.sleep(1.2)  # backends report their statistics at most once a second
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    before = sessions_so_far()
    messages = [
        queue_message(
            channel="sms",
            to=f"+91987654321{n}",
            template="accounts/messages/account_exists",
            language="en",
        )
        for n in range(3)
    ]
    assert wait_for(
        lambda: all(OutboundMessage.objects.get(pk=m.pk).status == "sent" for m in messages)
    )
    # At most the worker's first connection, if it had none open.
    assert sessions_so_far() - before <= 1


def test_nothing_is_enqueued_before_the_transaction_commits():
    with transaction.atomic():
        queue_message(
            channel="sms",
            to="+919876543210",
            template="accounts/messages/account_exists",
            language="en",
        )
        assert not DevOutboxMessage.objects.exists()
    assert DevOutboxMessage.objects.count() == 1


def test_a_rolled_back_transaction_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_message(
            channel="sms",
            to="+919876543210",
            template="accounts/messages/account_exists",
            language="en",
        )
        raise RuntimeError("the surrounding action failed")
    assert not OutboundMessage.objects.exists() and not DevOutboxMessage.objects.exists()


@pytest.mark.services
def test_two_workers_racing_on_one_message_send_it_once(settings, twilio):
    assert connection.vendor == "postgresql"
    settings.SMS_BACKEND = "verification.backends.sms.TwilioSmsBackend"
    # A queued message whose task was delivered twice, to two workers at once.
    message = OutboundMessage(channel="sms", kind="account_exists", to="+919876543210")
    message.set_content(body="You already have an account.")
    message.save()

    barrier = threading.Barrier(2)
    busy = []

    def worker():
        barrier.wait()
        try:
            deliver_message(message_id=message.pk)
        except AttemptInFlight as exc:
            busy.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(twilio.requests) == 1
    assert OutboundMessage.objects.get(pk=message.pk).status == "sent"
    # The loser either found it in flight (and its task retries later) or found it sent.
    assert len(busy) <= 1


def test_a_first_attempt_is_claimed_and_recorded_by_one_statement_each(settings, twilio):
    from django.test.utils import CaptureQueriesContext

    settings.SMS_BACKEND = "verification.backends.sms.TwilioSmsBackend"
    message = OutboundMessage(channel="sms", kind="account_exists", to="+919876543210")
    message.set_content(body="You already have an account.")
    message.save()

    with CaptureQueriesContext(connection) as queries:
        deliver_message(message_id=message.pk)

    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE", "UPDATE"]
    assert twilio.form()["Body"] == "You already have an account."
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1
    assert message.provider_message_id and message.sent_at is not None
    assert message.encrypted_content == "" and message.in_flight_until is None
    assert message.unconfirmed_attempt_at is None


def test_an_attempt_of_unknown_outcome_is_looked_up_not_claimed_again(settings, twilio):
    """A message whose last attempt never heard back takes the locked path, which asks the
    provider first: the written-out claim leaves it alone."""
    from django.utils import timezone

    settings.SMS_BACKEND = "verification.backends.sms.TwilioSmsBackend"
    message = OutboundMessage(channel="sms", kind="account_exists", to="+919876543210")
    message.set_content(body="You already have an account.")
    message.attempts = 1
    message.unconfirmed_attempt_at = timezone.now() - timezone.timedelta(minutes=5)
    message.save()

    deliver_message(message_id=message.pk)

    message.refresh_from_db()
    # The provider had no such message, so it was sent, once, as a second attempt.
    assert message.status == "sent" and message.attempts == 2
    assert len(twilio.requests) == 1


@pytest.mark.services
def test_the_suite_runs_on_postgresql_and_redis(settings):
    from django.core.cache import caches

    cache = caches["default"]
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    cache.set("probe", "ok")
    assert cache.get("probe") == "ok"
    assert type(cache).__name__ == "ResilientRedisCache"


def test_a_code_message_that_expired_while_queued_is_never_sent():
    from django.utils import timezone

    past = timezone.now() - timezone.timedelta(seconds=1)
    message = queue_message(
        channel="sms",
        to="+919876543210",
        template="accounts/messages/signup_code",
        language="en",
        secrets_={"code": "482913"},
        expires_at=past,
    )
    message.refresh_from_db()
    assert message.status == "failed" and message.error_code == "expired"
    assert not DevOutboxMessage.objects.exists()


def test_an_unexpected_error_is_recorded_on_the_message_not_retried_for_ever(settings):
    with transaction.atomic():
        message = queue_message(
            channel="sms",
            to="+919876543210",
            template="accounts/messages/account_exists",
            language="en",
        )
        # The key changes before the worker runs (a botched key rotation: the old key dropped
        # before the message was sent).
        settings.ENCRYPTION_KEYS = ["another-encryption-key-entirely-0123456789"]
    message.refresh_from_db()
    assert message.status == "failed" and message.error_code == "ValueError"
    assert not DevOutboxMessage.objects.exists()


def test_stuck_messages_are_enqueued_again_but_not_stale_ones(settings):
    from django.utils import timezone

    from verification.tasks import requeue_stuck_messages

    now = timezone.now()
    stuck = OutboundMessage(channel="sms", kind="account_exists", to="+919876543210")
    stuck.set_content(body="You already have an account.")
    stuck.save()
    stale = OutboundMessage(
        channel="sms",
        kind="account_exists",
        to="+919876543211",
        created_at=now - timezone.timedelta(days=2),
    )
    stale.set_content(body="You already have an account.")
    stale.save()
    in_flight = OutboundMessage(
        channel="sms",
        kind="account_exists",
        to="+919876543212",
        in_flight_until=now + timezone.timedelta(seconds=20),
    )
    in_flight.set_content(body="You already have an account.")
    in_flight.save()
    OutboundMessage.objects.update(next_attempt_at=now - timezone.timedelta(minutes=5))

    assert requeue_stuck_messages() == 1
    assert OutboundMessage.objects.get(pk=stuck.pk).status == "sent"
    assert OutboundMessage.objects.get(pk=stale.pk).status == "queued"
    assert OutboundMessage.objects.get(pk=in_flight.pk).status == "queued"
    # A message whose next attempt is not overdue yet (a retry waiting) is left to its task.
    waiting = OutboundMessage(channel="sms", kind="account_exists", to="+919876543213")
    waiting.set_content(body="You already have an account.")
    waiting.save()
    assert requeue_stuck_messages() == 0
