"""A loopback stand-in for Twilio's Messages API.

It answers `POST /2010-04-01/Accounts/<sid>/Messages.json` as Twilio does (201 with a message
SID), and records when each SMS arrived, to whom, and its text. The load generator reads the
sign-up codes from it (`GET /code?to=+91...`), and the report reads the receipt times
(`GET /received`) to measure delivery from enqueue to receipt.

    python -m bench.standin --port 8781 [--answer-after-ms 150]

`--answer-after-ms` holds each answer that long after the message is recorded, as Twilio's
API takes a while over the internet (to size the worker's concurrency; the bench runs without).
"""

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

_lock = threading.Lock()
received: list[tuple[float, str, str]] = []
latest_code: dict[str, str] = {}
CODE = re.compile(r"\b(\d{6})\b")


class StandIn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, on a kept-alive connection the
    # body waits for the client's delayed ACK of the headers (40 ms a message), which
    # Twilio's own servers do not make anyone wait.
    disable_nagle_algorithm = True

    def do_POST(self):  # noqa: N802 - the http.server API
        now = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = {key: values[0] for key, values in parse_qs(body).items()}
        to, text = form.get("To", ""), form.get("Body", "")
        with _lock:
            received.append((now, to, text))
            sid = f"SM{len(received):032d}"
            match = CODE.search(text)
            if match:
                latest_code[to] = match.group(1)
        time.sleep(self.server.answer_after)  # type: ignore[attr-defined]
        self.answer(201, {"sid": sid, "status": "queued", "to": to, "body": text})

    def do_GET(self):  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/code":
            to = parse_qs(url.query).get("to", [""])[0]
            with _lock:
                code = latest_code.pop(to, None)
            self.answer(200 if code else 404, {"code": code})
        elif url.path == "/received":
            with _lock:
                rows = [{"at": at, "to": to} for at, to, _ in received]
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
