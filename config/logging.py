"""Logs: one request id per request (taken from `X-Request-ID` when a proxy sends a sane one),
carried into the Celery tasks the request enqueues, on every log line; JSON lines in
production (`LOG_FORMAT=json`); and the access log, one line a request (`ACCESS_LOG`)."""

import contextvars
import json
import logging
import re
import time
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "request_id"
access_log = logging.getLogger("portal.access")


class RequestIdMiddleware:
    """Gives each request its id, sends it back in `X-Request-ID`, and logs the request's
    access line (the health probes answer before it, and are not logged)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        token = request_id.set(given if _SANE.match(given) else uuid.uuid4().hex)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            log_access(request, response.status_code, started)
            return response
        finally:
            request_id.reset(token)


def log_access(request, status: int, started: float) -> None:
    """The access line of one request: method, path, status and milliseconds, with the request
    id. Never the query string: the portal takes secrets only in POST bodies and headers, and a
    query string is the client's to fill."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    milliseconds = round((time.perf_counter() - started) * 1000, 1)
    fields = {
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": milliseconds,
    }
    access_log.info(
        "%s %s %s %sms", request.method, request.path, status, milliseconds, extra={"http": fields}
    )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
            **getattr(record, "http", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    if headers is not None and request_id.get() != "-":
        headers[HEADER] = request_id.get()


_task_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect
def _receive_request_id(task_id=None, task=None, **kwargs) -> None:
    given = getattr(task.request, HEADER, None) if task is not None else None
    if given and task_id:
        _task_tokens[task_id] = request_id.set(given)


@task_postrun.connect
def _forget_request_id(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        request_id.reset(token)
