"""A loopback stand-in for Twilio's Messages API.

It answers `POST /2010-04-01/Accounts/<sid>/Messages.json` as Twilio does (201 with a message
SID), and records when each SMS arrived, to whom, and its text. `GET` on the same address lists
the messages it accepted as Twilio lists them (newest first, filtered by `To` and `From`, at
most `PageSize`): the lookup a delivery makes before sending again after an attempt whose
answer never came (`TwilioSmsBackend.find_sent`, exactly-once delivery). The load generator
reads the sign-up codes from it (`GET /code?to=+91...`), and the report reads the receipt
times (`GET /received`) to measure delivery from enqueue to receipt.

The portal's worker reaches it through `TWILIO_HTTP_CLIENT=
verification.backends.loopback_http.LoopbackTwilioHttpClient` and `TWILIO_LOOPBACK_URL`.

    python -m bench.standin --port 8781 [--answer-after-ms 150]

`--answer-after-ms` holds each answer that long after the message is recorded, as Twilio's
API takes a while over the internet (to size the worker's concurrency; the bench runs without).
"""

import argparse
import json
import re
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

_lock = threading.Lock()
received: list[dict] = []  # the messages accepted, as Twilio's API shows them, oldest first
latest_code: dict[str, str] = {}
CODE = re.compile(r"\b(\d{6})\b")
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
PAGE_SIZE_MAX = 1000  # Twilio's largest page


def message_page(account: str, query: dict[str, list[str]]) -> dict:
    """Twilio's first page of the account's messages, newest first, filtered by `To` and
    `From` (exact numbers, as Twilio matches them), `PageSize` of them (50 when not given)."""
    to, sender = query.get("To", [None])[0], query.get("From", [None])[0]
    try:
        size = min(max(int(query.get("PageSize", ["50"])[0]), 1), PAGE_SIZE_MAX)
    except ValueError:
        size = 50
    with _lock:
        chosen = [
            message
            for message in reversed(received)
            if message["account_sid"] == account
            and to in (None, message["to"])
            and sender in (None, message["from"])
        ][:size]
    uri = f"/2010-04-01/Accounts/{account}/Messages.json?PageSize={size}&Page=0"
    return {
        "messages": chosen,
        "page": 0,
        "page_size": size,
        "first_page_uri": uri,
        "uri": uri,
        "next_page_uri": None,
        "previous_page_uri": None,
        "start": 0,
        "end": max(len(chosen) - 1, 0),
    }


class StandIn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, on a kept-alive connection the
    # body waits for the client's delayed ACK of the headers (40 ms a message), which
    # Twilio's own servers do not make anyone wait.
    disable_nagle_algorithm = True

    def do_POST(self):  # noqa: N802 - the http.server API
        now = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        account = MESSAGES.match(urlparse(self.path).path)
        if account is None:
            self.answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        form = {key: values[0] for key, values in parse_qs(body).items()}
        to, text = form.get("To", ""), form.get("Body", "")
        with _lock:
            message = {
                "sid": f"SM{len(received) + 1:032d}",
                "account_sid": account.group(1),
                "status": "queued",
                "to": to,
                "from": form.get("From", form.get("MessagingServiceSid", "")),
                "body": text,
                "date_created": formatdate(now, usegmt=True),
                "at": now,
            }
            received.append(message)
            match = CODE.search(text)
            if match:
                latest_code[to] = match.group(1)
        time.sleep(self.server.answer_after)  # type: ignore[attr-defined]
        self.answer(201, message)

    def do_GET(self):  # noqa: N802
        url = urlparse(self.path)
        account = MESSAGES.match(url.path)
        if account is not None:
            self.answer(200, message_page(account.group(1), parse_qs(url.query)))
        elif url.path == "/code":
            to = parse_qs(url.query).get("to", [""])[0]
            with _lock:
                code = latest_code.pop(to, None)
            self.answer(200 if code else 404, {"code": code})
        elif url.path == "/received":
            with _lock:
                rows = [{"at": message["at"], "to": message["to"]} for message in received]
            self.answer(200, rows)
        else:
            self.answer(404, {})

    def answer(self, status: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answer-after-ms", type=float, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), StandIn)
    server.answer_after = args.answer_after_ms / 1000  # type: ignore[attr-defined]
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
