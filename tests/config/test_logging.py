"""Request ids on every log line, carried from a request into the tasks it enqueues; JSON
lines on demand; bandit finds nothing of high severity in the project's code."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from config.logging import JsonFormatter, RequestIdFilter
from tests.helpers import send_code
from tests.processes import wait_until

ROOT = Path(__file__).resolve().parents[2]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected():
    handler = Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.services
def test_a_request_id_follows_the_request_into_its_task(celery_worker, collected):
    client = Client(HTTP_X_REQUEST_ID="req-7f3a9c21")
    response = send_code(client, phone="98765 43210")
    assert response["X-Request-ID"] == "req-7f3a9c21"
    from tests.helpers import last_message_to

    last_message_to("+919876543210")  # the worker delivered it
    # What the task logs while it runs (here: its outcome, written a moment after the send)
    # carries the request's id.
    task_lines = wait_until(
        lambda: [r for r in list(collected.records) if r.name == "celery.app.trace"],
        10,
        "the task's outcome in the log",
    )
    assert {r.request_id for r in task_lines} == {"req-7f3a9c21"}


@pytest.mark.django_db
def test_an_odd_request_id_is_replaced():
    response = Client(HTTP_X_REQUEST_ID="<script>").get("/legal/terms/")
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32


def test_json_lines_carry_the_request_id():
    record = logging.LogRecord("portal", logging.WARNING, __file__, 1, "sent %s", ("sms",), None)
    record.request_id = "abc12345"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc12345" and line["message"] == "sent sms"
    assert line["level"] == "WARNING"


@pytest.mark.django_db
def test_each_request_has_one_access_line_with_its_id_and_no_query_string(collected):
    response = Client(HTTP_X_REQUEST_ID="req-access-1").get("/legal/terms/?token=secret-value")
    lines = [r for r in collected.records if r.name == "portal.access"]
    assert len(lines) == 1
    entry = json.loads(JsonFormatter().format(lines[0]))
    assert entry["request_id"] == "req-access-1" == response["X-Request-ID"]
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/legal/terms/", 200)
    assert entry["duration_ms"] >= 0
    assert "secret-value" not in json.dumps(entry) and "?" not in entry["message"]


@pytest.mark.django_db
def test_the_device_api_has_its_access_line_too(collected):
    answer = Client().get("/api/v1/device/commands/", HTTP_AUTHORIZATION="Bearer not-a-token")
    [line] = [r for r in collected.records if r.name == "portal.access"]
    assert line.http == {  # type: ignore[attr-defined]
        "method": "GET",
        "path": "/api/v1/device/commands/",
        "status": answer.status_code,
        "duration_ms": line.http["duration_ms"],  # type: ignore[attr-defined]
    }


def test_the_access_log_is_kept_whatever_the_log_level_unless_turned_off():
    script = (
        "import logging, django; django.setup(); "
        "print(logging.getLogger('portal.access').isEnabledFor(logging.INFO))"
    )
    for setting, expected in (("1", "True"), ("0", "False")):
        answer = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "LOG_LEVEL": "WARNING", "ACCESS_LOG": setting},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert answer.stdout.strip() == expected, answer.stderr


def test_bandit_finds_no_high_severity_issue():
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-r",
            "accounts",
            "verification",
            "devices",
            "cloud",
            "config",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(answer.stdout)
    high = [r for r in report["results"] if r["issue_severity"] == "HIGH"]
    assert not high, high
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really read the code
