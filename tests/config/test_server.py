"""The production web server (granian, config/server.py) does what gunicorn did for the portal:
a worker that dies is started again, SIGTERM lets a request in flight finish, and a request
stuck on the database is cut off by the web process's statement timeout."""

import os
import signal
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests

from config.server import statement_timeout_options
from tests.config.production import HOST, production_env, production_server
from tests.processes import wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PAGE = "/accounts/signup/"  # writes its CAPTCHA challenge: blocked while the table is locked
HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}


def _workers(pid: int) -> set[int]:
    """The ids of the processes whose parent is `pid`."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return children


class LockedCaptchas:
    """A transaction of the test's own holding the CAPTCHA table, so a page that writes a
    challenge waits on it, as a request waits on a lock a stuck transaction holds."""

    def __init__(self, database_url: str) -> None:
        self.connection = psycopg.connect(database_url)
        self.connection.execute("LOCK TABLE captcha_captchastore IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def _request_in_background(base: str) -> dict:
    """GET PAGE in a thread; the dict gets its status (or error) and seconds when it ends."""
    outcome: dict = {}

    def go() -> None:
        started = time.monotonic()
        try:
            outcome["status"] = requests.get(base + PAGE, headers=HEADERS, timeout=60).status_code
        except requests.RequestException as error:
            outcome["status"] = type(error).__name__
        outcome["seconds"] = time.monotonic() - started

    threading.Thread(target=go, daemon=True).start()
    return outcome


def test_a_worker_that_dies_is_started_again(tmp_path, own_redis):
    env = production_env(tmp_path, own_redis.url)
    with production_server(env, tmp_path / "server.log") as (base, process):
        first = wait_until(
            lambda: len(_workers(process.pid)) == 2 and _workers(process.pid), 30, "2 workers"
        )
        killed = min(first)
        os.kill(killed, signal.SIGKILL)
        wait_until(
            lambda: len(_workers(process.pid) - {killed}) == 2, 30, "the worker to be started again"
        )
        assert requests.get(base + "/healthz", timeout=5).status_code == 200
        assert process.poll() is None


def test_a_statement_stuck_on_a_lock_is_cancelled_and_answered(tmp_path, own_redis):
    env = production_env(tmp_path, own_redis.url) | {"WEB_STATEMENT_TIMEOUT": "2"}
    with production_server(env, tmp_path / "server.log") as (base, _):
        assert requests.get(base + PAGE, headers=HEADERS, timeout=15).status_code == 200
        lock = LockedCaptchas(env["DATABASE_URL"])
        try:
            started = time.monotonic()
            answer = requests.get(base + PAGE, headers=HEADERS, timeout=15)
            took = time.monotonic() - started
        finally:
            lock.release()
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
        assert 1.5 < took < 6, took
        # The connection is as good as before.
        assert requests.get(base + PAGE, headers=HEADERS, timeout=15).status_code == 200


def test_sigterm_lets_a_request_in_flight_finish(tmp_path, own_redis):
    env = production_env(tmp_path, own_redis.url)  # the default statement timeout, 30 s
    with production_server(env, tmp_path / "server.log") as (base, process):
        assert requests.get(base + PAGE, headers=HEADERS, timeout=15).status_code == 200
        lock = LockedCaptchas(env["DATABASE_URL"])
        try:
            outcome = _request_in_background(base)
            time.sleep(4)
            assert not outcome, f"the request did not wait on the lock: {outcome}"
            process.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert process.poll() is None  # still finishing the request in flight
        finally:
            lock.release()
        wait_until(lambda: outcome, 20, "the request in flight to finish")
        assert outcome["status"] == 200, outcome
        process.wait(timeout=30)


def test_the_statement_timeout_goes_to_libpq_for_the_web_process_only():
    assert statement_timeout_options("", 30) == "-c statement_timeout=30s"
    assert statement_timeout_options("-c work_mem=8MB", 5) == (
        "-c work_mem=8MB -c statement_timeout=5s"
    )
    assert statement_timeout_options("-c work_mem=8MB", 0) == "-c work_mem=8MB"
