"""A worker process told to stop (SIGTERM) in the middle of a send finishes it: the message
is delivered exactly once, not lost, not doubled."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from verification.models import Channel, OutboundMessage

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class SlowTwilio(BaseHTTPRequestHandler):
    """Answers a message request as Twilio would, after two seconds."""

    received: list[str] = []
    started = threading.Event()

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        SlowTwilio.received.append(body)
        SlowTwilio.started.set()
        time.sleep(2)
        answer = json.dumps({"sid": "SM" + "1" * 32, "status": "queued"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_twilio():
    SlowTwilio.received = []
    SlowTwilio.started.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowTwilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def worker(broker: str, twilio_url: str) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "shutdown-test-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_HTTP_CLIENT": "tests.doubles.LoopbackTwilioHttpClient",
        "TWILIO_LOOPBACK_URL": twilio_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigterm_mid_send_delivers_exactly_once(slow_twilio):
    from config.celery import app
    from verification.tasks import deliver_message_task

    broker = settings.TEST_REDIS_SPARE[0]
    message = OutboundMessage(channel=Channel.SMS, kind="notice", to="+919876543210", preview="x")
    message.set_content(body="Account Portal: a test notice")
    message.save()
    app.conf.task_always_eager = False  # to the broker, for the worker process
    with app.connection_for_write(broker) as connection:
        connection.default_channel.client.flushdb()
        deliver_message_task.apply_async(args=[message.pk], connection=connection)

    first = worker(broker, slow_twilio)
    try:
        if not SlowTwilio.started.wait(30):
            first.kill()
            raise AssertionError(first.communicate()[0][-3000:])
        first.send_signal(signal.SIGTERM)  # in the middle of the send
        output, _ = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, output[-2000:]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert len(SlowTwilio.received) == 1

    # A new worker on the same queue finds nothing left to send again.
    second = worker(broker, slow_twilio)
    try:
        time.sleep(6)
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=60)
    assert len(SlowTwilio.received) == 1
