"""Faults on the way out, caused for real: a stand-in for Twilio on loopback that fails as
Twilio does, worker processes killed with SIGKILL in the middle of a send, an SMTP server that
drops the connection. After each, the count of messages that went out is exactly one (or none,
for a code that expired first)."""

import contextlib
import os
import re
import signal
import socket
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from tests.faults.broker import use_broker
from tests.processes import (
    TwilioStandIn,
    children_of,
    free_port,
    start_worker,
    wait_until,
)
from tests.verification.smtp import Mailbox, queue_email, smtp_at
from verification.models import Channel, OutboundMessage

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BODY = "Account Portal: 482913 is your verification code. It expires in 10 minutes."


def queued_sms(*, expires_in: float = 600) -> OutboundMessage:
    message = OutboundMessage(
        channel=Channel.SMS,
        kind="signup_code",
        to="+919876543210",
        preview="Account Portal: •••••• is your verification code.",
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )
    message.set_content(body=BODY)
    message.save()
    return message


def enqueue(app, broker: str, message: OutboundMessage) -> None:
    from verification.tasks import deliver_message_task

    use_broker(app, broker)
    deliver_message_task.delay(message.pk)


def final_status(message: OutboundMessage, timeout: float = 60) -> OutboundMessage:
    def settled():
        message.refresh_from_db()
        return message.status != OutboundMessage.Status.QUEUED

    wait_until(settled, timeout, f"message {message.pk} to leave the queue", every=0.2)
    return message


@pytest.fixture
def stand_in():
    servers: list[TwilioStandIn] = []

    def make(script, **options) -> TwilioStandIn:
        servers.append(TwilioStandIn(script, **options))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_twilio_500_503_20429_and_a_timeout_are_retried_with_backoff_and_sent_once(
    broker, to_broker, stand_in
):
    # The timeout: Twilio takes the message but its answer comes after the client gave up.
    twilio = stand_in([500, 503, ("twilio", 429, 20429), "timeout"], late_by=2.5)
    message = queued_sms()
    worker = start_worker(
        broker=broker, twilio=twilio, TWILIO_TIMEOUT="1", MESSAGE_RETRY_BASE_DELAY="0.2"
    )
    try:
        enqueue(to_broker, broker, message)
        final_status(message)
    finally:
        log = worker.stop()

    assert message.status == "sent", log[-3000:]
    assert len(twilio.posts) == 4  # 500, 503, 20429, then the one whose answer was lost
    assert len(twilio.created) == 1  # and it was not sent again: the next attempt asked first
    assert message.provider_message_id == twilio.created[0]["sid"]
    assert message.attempts == 4
    # Exponential backoff with jitter: 0.2, 0.4, 0.8, 1.6 s, each within 20 %.
    delays = [float(d) for d in re.findall(r"Retry in ([0-9.]+)s", log)]
    assert len(delays) >= 4, log[-3000:]
    for attempt, delay in enumerate(delays[:4]):
        assert 0.2 * 2**attempt * 0.8 <= delay <= 0.2 * 2**attempt * 1.2
    assert len(set(delays)) == len(delays)
    assert "482913" not in log  # the code never reaches the logs


def test_a_code_that_expires_while_twilio_fails_is_never_sent(broker, to_broker, stand_in):
    twilio = stand_in([503] * 100)
    worker = start_worker(broker=broker, twilio=twilio, MESSAGE_RETRY_BASE_DELAY="0.5")
    message = queued_sms(expires_in=3)
    try:
        enqueue(to_broker, broker, message)
        final_status(message)
    finally:
        log = worker.stop()

    assert message.status == "failed", log[-3000:]
    assert twilio.created == []
    # Tried while the code was alive (0.5, 1, 2 s apart), not once the next try was too late.
    assert 2 <= len(twilio.posts) <= 4
    assert message.error_code == "503"


def test_a_worker_child_killed_mid_send_leaves_one_message_sent(broker, to_broker, stand_in):
    twilio = stand_in(["timeout"], late_by=5)
    message = queued_sms()
    worker = start_worker(
        broker=broker,
        twilio=twilio,
        pool="prefork",
        TWILIO_TIMEOUT="2",
        MESSAGE_IN_FLIGHT_MARGIN="0",
    )
    try:
        wait_until(lambda: children_of(worker.pid), 30, "the worker's child process")
        enqueue(to_broker, broker, message)
        assert twilio.received.wait(30), "the worker never called Twilio"
        for child in children_of(worker.pid):
            os.kill(child, signal.SIGKILL)  # in the middle of the send
        final_status(message)
    finally:
        log = worker.stop()

    assert "WorkerLostError" in log or "exited with 'signal 9" in log, log[-3000:]
    assert message.status == "sent", log[-3000:]
    assert len(twilio.posts) == 1 and len(twilio.created) == 1
    assert message.provider_message_id == twilio.created[0]["sid"]


def test_a_worker_killed_mid_send_is_followed_by_one_message_after_the_sweep(
    broker, to_broker, stand_in
):
    twilio = stand_in(["timeout"], late_by=5)
    message = queued_sms()
    timing = {"TWILIO_TIMEOUT": "1", "MESSAGE_IN_FLIGHT_MARGIN": "0"}
    first = start_worker(broker=broker, twilio=twilio, **timing)
    try:
        enqueue(to_broker, broker, message)
        assert twilio.received.wait(30), "the worker never called Twilio"
        first.kill()  # SIGKILL: its task stays unacknowledged in Redis
    finally:
        first.stop()
    message.refresh_from_db()
    assert message.status == "queued"

    # A new worker with beat: the sweep finds the message overdue and enqueues it again.
    second = start_worker(
        broker=broker,
        twilio=twilio,
        beat=True,
        MESSAGE_REQUEUE_EVERY="1",
        MESSAGE_REQUEUE_AFTER="1",
        **timing,
    )
    try:
        final_status(message)
    finally:
        log = second.stop()

    assert message.status == "sent", log[-3000:]
    assert len(twilio.posts) == 1 and len(twilio.created) == 1


class DroppingRelay:
    """An SMTP address whose first `drops` connections are cut at once; later ones are relayed
    to the real server behind it (None: every connection is cut)."""

    def __init__(self, upstream_port: int | None, drops: int | None) -> None:
        self.upstream_port, self.drops = upstream_port, drops
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            if self.upstream_port is None or (self.drops and self.connections <= self.drops):
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, target), daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def test_an_smtp_server_that_drops_connections_is_retried_then_delivers_once(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    relay = DroppingRelay(controller.port, drops=2)
    smtp_at(settings, relay.port, timeout=3)
    try:
        message = queue_email()
    finally:
        relay.close()
        controller.stop()
    assert message.status == "sent"
    assert relay.connections == 3 and message.attempts == 3
    assert len(mailbox.messages) == 1


def test_an_smtp_server_that_always_drops_is_retried_then_recorded_failed(settings):
    settings.MESSAGE_DELIVERY_MAX_RETRIES = 3
    relay = DroppingRelay(None, drops=None)
    smtp_at(settings, relay.port, timeout=3)
    try:
        message = queue_email()
    finally:
        relay.close()
    assert message.status == "failed"
    assert relay.connections == 4 and message.attempts == 4
    assert message.error_message == "SMTP connection: SMTPServerDisconnected"


@pytest.mark.parametrize("pool", ["threads", "solo"])  # production's, and `make run`'s
def test_a_worker_told_to_stop_mid_send_finishes_it_and_nothing_is_sent_again(
    broker, to_broker, stand_in, pool
):
    twilio = stand_in(["timeout"], late_by=2)  # slow, but within the client's 10 s
    message = queued_sms()
    first = start_worker(broker=broker, twilio=twilio, pool=pool)
    try:
        enqueue(to_broker, broker, message)
        assert twilio.received.wait(30), "the worker never called Twilio"
        first.process.send_signal(signal.SIGTERM)  # in the middle of the send
        first.process.wait(timeout=60)
    finally:
        log = first.stop()
    assert first.process.returncode == 0, log[-3000:]
    message.refresh_from_db()
    assert message.status == "sent"

    # A new worker on the same queue finds nothing left to send.
    second = start_worker(broker=broker, twilio=twilio, pool=pool)
    try:
        time.sleep(5)
    finally:
        second.stop()
    assert len(twilio.posts) == 1 and len(twilio.created) == 1
