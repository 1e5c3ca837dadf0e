"""Slow clients: connections that trickle a request, a header line every few seconds, hold
every thread of a production gunicorn reached directly, and the portal stops answering; behind
the buffering proxy of the compose file (deploy/nginx.conf.template, nginx) it keeps answering,
since nginx reads each request whole before gunicorn sees it."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.config.production import production_env
from tests.processes import free_port, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Three for each of gunicorn's 8 threads (2 workers x 4): the kernel hands connections to
# either worker, unevenly, and both must be full for the control below to hold every time.
SLOW_CLIENTS = 24


@pytest.fixture
def nginx_installed():
    if not Path(NGINX).exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is missing (apt-get install nginx)")
        pytest.skip("needs nginx: apt-get install nginx")


@pytest.fixture
def production_gunicorn(tmp_path, own_redis):
    """gunicorn as production runs it (gunicorn.conf.py: 2 workers x 4 threads)."""
    port = free_port()
    env = production_env(tmp_path, own_redis.url) | {"BIND": f"127.0.0.1:{port}"}
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(base), timeout=60, what="gunicorn")
    yield port
    process.terminate()
    process.wait(timeout=40)


@pytest.fixture
def buffering_proxy(tmp_path, production_gunicorn, nginx_installed):
    """nginx with the compose file's configuration, in front of that gunicorn."""
    port = free_port()
    home = tmp_path / "nginx"
    home.mkdir()
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (home / name).mkdir()
    home.chmod(0o777)
    server = (ROOT / "deploy" / "nginx.conf.template").read_text()
    server = server.replace("${PORTAL_UPSTREAM}", f"127.0.0.1:{production_gunicorn}")
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
    wait_until(lambda: _answers(f"http://127.0.0.1:{port}"), timeout=20, what="nginx")
    yield port
    process.terminate()
    process.wait(timeout=10)


def _answers(base: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    return False


def _trickle(port: int, stop: threading.Event) -> None:
    """A request whose header lines come one every few seconds, never finished."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        line = 0
        while not stop.wait(4):
            line += 1
            conn.sendall(f"X-Slow-{line}: {'a' * 8}\r\n".encode())


def _probes_under_slow_clients(port: int) -> list[float | None]:
    """Seconds each of a few /healthz requests took while the slow clients hold on (None: no
    answer within 3 s)."""
    stop = threading.Event()
    clients = [
        threading.Thread(target=_trickle, args=(port, stop), daemon=True)
        for _ in range(SLOW_CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(2)  # every slow client has connected and begun
    took: list[float | None] = []
    try:
        for _ in range(4):
            started = time.monotonic()
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=3)
                took.append(time.monotonic() - started)
            except requests.RequestException:
                took.append(None)
            time.sleep(1)
    finally:
        stop.set()
    return took


def test_slow_clients_starve_gunicorn_alone_but_not_behind_the_buffering_proxy(
    production_gunicorn, buffering_proxy
):
    behind_the_proxy = _probes_under_slow_clients(buffering_proxy)
    assert all(took is not None and took < 2 for took in behind_the_proxy), behind_the_proxy
    direct = _probes_under_slow_clients(production_gunicorn)
    assert None in direct, f"gunicorn answered every probe under slow clients: {direct}"
