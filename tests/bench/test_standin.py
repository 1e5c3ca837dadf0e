"""The bench's Twilio stand-in answers as Twilio does for what the portal asks of it: sending a
message, and the list of messages the exactly-once check reads before sending again
(`TwilioSmsBackend.find_sent`), reached through the portal's own loopback client."""

import json
import threading
import urllib.request
from datetime import timedelta
from http.server import ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from bench import standin
from config.env import env_loopback_url
from verification.backends.sms import TwilioSmsBackend

ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def twilio(settings):
    """The stand-in on a free loopback port, the portal's Twilio client pointed at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), standin.StandIn)
    server.answer_after = 0  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TWILIO_HTTP_CLIENT = "verification.backends.loopback_http.LoopbackTwilioHttpClient"
    settings.TWILIO_LOOPBACK_URL = url
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    standin.received.clear()
    yield url
    server.shutdown()
    server.server_close()
    standin.received.clear()


def _list(url: str, query: str) -> dict:
    address = f"{url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json?{query}"
    with urllib.request.urlopen(address, timeout=5) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def test_a_message_sent_is_found_by_the_exactly_once_check(twilio):
    backend = TwilioSmsBackend()
    before = timezone.now() - timedelta(seconds=1)
    sid = backend.send(to="+919876543210", body="Your code is 123456")
    backend.send(to="+919876543211", body="Your code is 654321")

    assert sid.startswith("SM")
    assert backend.find_sent(to="+919876543210", body="123456", since=before) == sid
    # Another number's message, another body, or a message older than the attempt: not found.
    assert backend.find_sent(to="+919876543210", body="654321", since=before) is None
    assert backend.find_sent(to="+919876543212", body="Your code", since=before) is None
    later = timezone.now() + timedelta(minutes=1)
    assert backend.find_sent(to="+919876543210", body="123456", since=later) is None


def test_the_list_is_newest_first_filtered_by_to_and_from_and_sized_by_page_size(twilio):
    backend = TwilioSmsBackend()
    sent = [backend.send(to="+919876543210", body=f"message {n}") for n in range(3)]
    backend.send(to="+919876543299", body="someone else")

    page = _list(twilio, "To=%2B919876543210&PageSize=2")
    assert [m["sid"] for m in page["messages"]] == [sent[2], sent[1]]
    assert page["next_page_uri"] is None
    assert page["page_size"] == 2
    assert len(_list(twilio, "From=%2B15005550006")["messages"]) == 4
    assert _list(twilio, "From=%2B15005550007")["messages"] == []
    # A page size that is not a number is Twilio's default, not an error.
    assert len(_list(twilio, "PageSize=lots")["messages"]) == 4


def test_another_accounts_messages_are_not_listed(twilio):
    TwilioSmsBackend().send(to="+919876543210", body="Your code is 123456")
    other = f"{twilio}/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    with urllib.request.urlopen(other, timeout=5) as answer:  # noqa: S310 - loopback
        assert json.loads(answer.read())["messages"] == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8781", "http://localhost:8781/", "http://[::1]:8781", "https://127.9.9.9"],
)
def test_the_loopback_client_takes_an_address_on_this_machine(monkeypatch, url):
    monkeypatch.setenv("TWILIO_LOOPBACK_URL", url)
    assert env_loopback_url("TWILIO_LOOPBACK_URL") == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com",
        "http://10.0.0.5:8781",
        "http://127.0.0.1.example.com",
        "ftp://127.0.0.1",
        "http://127.0.0.1:8781/elsewhere",
        "127.0.0.1:8781",
    ],
)
def test_the_loopback_client_refuses_any_other_address(monkeypatch, url):
    """Its requests carry the auth token and every code sent."""
    monkeypatch.setenv("TWILIO_LOOPBACK_URL", url)
    with pytest.raises(ImproperlyConfigured, match="TWILIO_LOOPBACK_URL"):
        env_loopback_url("TWILIO_LOOPBACK_URL")
