"""Doubles at the edge of the process only.

RecordingTwilioHttpClient is the `twilio` library's own HTTP client with its requests session
sent through a transport that records each prepared HTTP request (exact URL, headers, body) and
answers from a script instead of the network.
"""

import json
import threading
from email.utils import formatdate
from urllib.parse import parse_qs

import requests
from requests.adapters import BaseAdapter
from twilio.http.http_client import TwilioHttpClient

# For worker processes the test does not share memory with: the portal's own loopback client
# (TWILIO_HTTP_CLIENT=verification.backends.loopback_http.LoopbackTwilioHttpClient).
from verification.backends.loopback_http import LoopbackTwilioHttpClient

__all__ = ["LoopbackTwilioHttpClient", "RecordingTwilioHttpClient", "twilio_error"]

_lock = threading.Lock()


class _ScriptedTransport(BaseAdapter):
    def send(self, request, **kwargs):
        if request.method == "GET":
            return _answer(request, 200, _message_page(request))
        with _lock:
            RecordingTwilioHttpClient.requests.append(request)
            RecordingTwilioHttpClient.timeouts.append(kwargs.get("timeout"))
            answer = (
                RecordingTwilioHttpClient.script.pop(0)
                if RecordingTwilioHttpClient.script
                else None
            )
        if isinstance(answer, Exception):
            raise answer
        status, body = answer or (201, _message_json(request))
        if status == 201:
            with _lock:
                RecordingTwilioHttpClient.created.append(body)
        return _answer(request, status, body)

    def close(self):
        pass


def _answer(request, status: int, body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    response.url = request.url
    response.request = request
    return response


def _message_page(request) -> dict:
    """Twilio's list of messages (newest first), filtered by To as Twilio does."""
    to = parse_qs(request.url.partition("?")[2]).get("To", [None])[0]
    with _lock:
        messages = [m for m in reversed(RecordingTwilioHttpClient.created) if to in (None, m["to"])]
    return {"messages": messages, "next_page_uri": None, "page": 0, "page_size": 20}


def _message_json(request) -> dict:
    """Like Twilio's answer, which echoes the message body."""
    sent = len(RecordingTwilioHttpClient.requests)
    body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
    form = parse_qs(body)
    return {
        "sid": f"SM{sent:032d}",
        "status": "queued",
        "body": form.get("Body", [""])[0],
        "to": form.get("To", [""])[0],
        "date_created": formatdate(usegmt=True),
    }


def twilio_error(status: int, code: int, message: str = "error") -> tuple[int, dict]:
    return status, {"code": code, "message": message, "more_info": "", "status": status}


class RecordingTwilioHttpClient(TwilioHttpClient):
    requests: list = []
    timeouts: list = []
    script: list = []
    created: list = []  # the messages "Twilio" accepted, for its list endpoint

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session.mount("https://", _ScriptedTransport())

    @classmethod
    def reset(cls) -> None:
        with _lock:
            cls.requests.clear()
            cls.timeouts.clear()
            cls.script.clear()
            cls.created.clear()

    @classmethod
    def answer_with(cls, *answers) -> None:
        cls.script.extend(answers)

    @classmethod
    def form(cls, index: int = -1) -> dict[str, str]:
        body = cls.requests[index].body
        body = body.decode() if isinstance(body, bytes) else body
        return {key: values[0] for key, values in parse_qs(body).items()}
