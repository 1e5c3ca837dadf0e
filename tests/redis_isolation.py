"""The suite touches only the Redis data it makes (SPEC 2).

Without REDIS_URL, the test settings start a redis-server of the suite's own on a free port
(`start_own_redis`), which ends with the test process. On any server, the suite's keys are under
the run's prefix (TEST_REDIS_PREFIX), removed at the end (`remove_run_keys`), and
`Sentinels` proves it: before the first test it writes a key of "someone else's" into every
database of the server, and after the last it checks that each is still there.

Imported by config/settings/test.py before Django is set up: nothing here reads settings.
"""

import atexit
import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

import redis

_PR_SET_PDEATHSIG = 1


def start_own_redis() -> str | None:
    """Start a redis-server of this process's own, keeping nothing on disk; its URL, or None
    when redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    directory = tempfile.mkdtemp(prefix="portal-test-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", directory],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_end_with_parent if sys.platform == "linux" else None,
    )

    def stop() -> None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError):
            if redis.Redis.from_url(url, socket_timeout=1).ping():
                return url
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop()
    raise RuntimeError(f"the suite's own redis-server ({binary}) did not answer on port {port}")


def _end_with_parent() -> None:
    """In the child: the kernel ends this redis-server when the test process dies, however."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def database_url(url: str, number: int) -> str:
    """`url` with database `number` (redis-py takes the URL's path over a `db` argument)."""
    return urlsplit(url)._replace(path=f"/{number}").geturl()


def _clients(url: str) -> list[redis.Redis]:
    """A client for every database number the server has (16 unless configured)."""
    first = redis.Redis.from_url(url, socket_timeout=5)
    try:
        count = int(first.config_get("databases").get("databases", 16))
    except redis.ResponseError:  # CONFIG refused (a managed Redis): the usual 16
        count = 16
    return [
        redis.Redis.from_url(database_url(url, number), socket_timeout=5) for number in range(count)
    ]


def remove_run_keys(url: str, prefix: str) -> int:
    """Delete this run's keys ("<prefix>:..."), in every database; how many there were."""
    removed = 0
    for client in _clients(url):
        batch = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(batch), 1000):
            removed += client.unlink(*batch[start : start + 1000])
    return removed


class Sentinels:
    """Keys of "someone else's" in every database of the suite's Redis server: one named like
    nothing of the suite's, and one like a running portal's cache key (prefix "portal")."""

    def __init__(self, url: str, run: str) -> None:
        self.url = url
        self.value = f"written before the suite {run}"
        self.names = [f"someone-else:{run}", f"portal:1:someone-else-{run}"]

    def plant(self) -> None:
        for client in _clients(self.url):
            for name in self.names:
                client.set(name, self.value, ex=6 * 3600)  # gone by themselves if the run dies

    def missing(self) -> list[str]:
        """The planted keys no longer there, as "db N: name"."""
        return [
            f"db {number}: {name}"
            for number, client in enumerate(_clients(self.url))
            for name in self.names
            if client.get(name) != self.value.encode()
        ]

    def remove(self) -> None:
        for client in _clients(self.url):
            client.delete(*self.names)
