"""Slow clients: connections that trickle a request, a header line every few seconds. nginx, the
compose file's buffering proxy (deploy/nginx.conf.template), reads each request whole before the
portal sees it; the production web server (granian, config/server.py) reads headers in its event
loop, not in the threads that run the portal, and drops a client that has not sent them within
its header timeout. Either way the portal keeps answering while the slow clients hold on."""

import contextlib
import os
import select
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.config.production import HOST, answers, production_env, production_server
from tests.processes import free_port, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Three for each of the server's 8 threads (2 workers x 4): enough to hold every one of them,
# were a trickling request to take a thread (as it did with gunicorn's threaded worker).
SLOW_CLIENTS = 24
# config/server.py's header timeout, and the time it may take to notice.
HEADER_TIMEOUT = 10


@pytest.fixture
def nginx_installed():
    if not Path(NGINX).exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is missing (apt-get install nginx)")
        pytest.skip("needs nginx: apt-get install nginx")


@pytest.fixture
def production(tmp_path, own_redis):
    """The web server as production runs it (config/server.py: 2 workers x 4 threads)."""
    env = production_env(tmp_path, own_redis.url)
    with production_server(env, tmp_path / "server.log") as (base, _):
        yield int(base.rsplit(":", 1)[1])


@pytest.fixture
def buffering_proxy(tmp_path, production, nginx_installed):
    """nginx with the compose file's configuration, in front of that server."""
    port = free_port()
    home = tmp_path / "nginx"
    home.mkdir()
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (home / name).mkdir()
    home.chmod(0o777)
    server = (ROOT / "deploy" / "nginx.conf.template").read_text()
    server = server.replace("${PORTAL_UPSTREAM}", f"127.0.0.1:{production}")
    server = server.replace("${PROXY_PORT}", f"127.0.0.1:{port}")
    (home / "portal.conf").write_text(server)
    (home / "nginx.conf").write_text(
        f"""daemon off;
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    include {home}/portal.conf;
}}
"""
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(home), "-c", str(home / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    wait_until(lambda: answers(f"http://127.0.0.1:{port}"), timeout=20, what="nginx")
    yield port
    process.terminate()
    process.wait(timeout=10)


def _trickle(port: int, stop: threading.Event, dropped: list[float]) -> None:
    """A request whose header lines come one every few seconds, never finished; `dropped` gets
    the seconds after which the server answered or closed the connection, if it did."""
    started = time.monotonic()
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        line = 0
        while not stop.wait(4):
            if select.select([conn], [], [], 0)[0]:  # an answer (408) or the end of it
                break
            line += 1
            conn.sendall(f"X-Slow-{line}: {'a' * 8}\r\n".encode())
        else:
            return  # still connected when the test let go
    dropped.append(time.monotonic() - started)


@contextlib.contextmanager
def _slow_clients(port: int):
    """SLOW_CLIENTS trickling requests to `port` while the block runs; yields the list of the
    seconds after which each was dropped."""
    stop = threading.Event()
    dropped: list[float] = []
    clients = [
        threading.Thread(target=_trickle, args=(port, stop, dropped), daemon=True)
        for _ in range(SLOW_CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(2)  # every slow client has connected and begun
    try:
        yield dropped
    finally:
        stop.set()


def _probes(port: int) -> list[float | None]:
    """Seconds each of a few /healthz requests took (None: no answer within 3 s)."""
    took: list[float | None] = []
    for _ in range(4):
        started = time.monotonic()
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=3)
            took.append(time.monotonic() - started)
        except requests.RequestException:
            took.append(None)
        time.sleep(1)
    return took


def test_slow_clients_starve_neither_the_buffering_proxy_nor_the_server_alone(
    production, buffering_proxy
):
    with _slow_clients(buffering_proxy):
        behind_the_proxy = _probes(buffering_proxy)
    assert all(took is not None and took < 2 for took in behind_the_proxy), behind_the_proxy
    with _slow_clients(production) as dropped:
        direct = _probes(production)
        # The control: every slow client was still connected while the probes were answered
        # (with gunicorn's threaded worker, 24 such clients held all 8 threads and no probe
        # was answered).
        assert not dropped, dropped
        wait_until(lambda: len(dropped) == SLOW_CLIENTS, HEADER_TIMEOUT + 10, "the drops")
    assert all(took is not None and took < 2 for took in direct), direct
    # Dropped at the header timeout, not before (the lines kept coming every 4 s).
    assert min(dropped) > HEADER_TIMEOUT - 1 and max(dropped) < HEADER_TIMEOUT + 6, dropped


def test_the_proxy_drops_forwarded_headers_spelled_with_underscores(production, buffering_proxy):
    """granian hands `X_Forwarded_Proto` to the portal as it does `X-Forwarded-Proto` (both are
    HTTP_X_FORWARDED_PROTO in WSGI); nginx drops header names with underscores, so only the
    proxies' own X-Forwarded-* reach the portal, and the server must be reachable only through
    them (docs/deploy.md)."""
    spoofed = {"Host": HOST, "X_Forwarded_Proto": "https", "X_Forwarded_For": "203.0.113.9"}

    def get(port: int) -> requests.Response:
        url = f"http://127.0.0.1:{port}/"
        return requests.get(url, headers=spoofed, allow_redirects=False, timeout=10)

    through_the_proxy = get(buffering_proxy)
    assert through_the_proxy.status_code == 301
    assert through_the_proxy.headers["Location"].startswith("https://")
    assert get(production).status_code != 301  # reached directly, the server believes it
