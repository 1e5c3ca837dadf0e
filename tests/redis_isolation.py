"""The suite touches only the Redis data it makes (SPEC 2).

Without REDIS_URL, the test settings start a redis-server of the suite's own on a free port
(`start_own_redis`), which ends with the test process. On any server, the suite's keys are under
the run's prefix (TEST_REDIS_PREFIX), removed at the end (the cache's clear(), as the
cache's KEY_PREFIX is that prefix and the broker's keys start with it too), and
`Sentinels` proves it: before the first test it writes a key of "someone else's" into every
database of the server, and after the last it checks that each is still there.

Imported by config/settings/test.py before Django is set up: nothing here reads settings.
"""

import atexit
import shutil
from urllib.parse import urlsplit

import redis

from tests.processes import RedisServer


def start_own_redis() -> str | None:
    """Start a redis-server of this process's own (it ends with the process); its URL, or None
    when redis-server is not installed."""
    if shutil.which("redis-server") is None:
        return None
    server = RedisServer()
    server.start()
    atexit.register(server.remove)
    return server.url


def database_url(url: str, number: int) -> str:
    """`url` with database `number` (redis-py takes the URL's path over a `db` argument)."""
    return urlsplit(url)._replace(path=f"/{number}").geturl()


def _clients(url: str) -> list[redis.Redis]:
    """A client for every database number the server has (16 unless configured)."""
    first = redis.Redis.from_url(url, socket_timeout=5)
    try:
        count = int(first.config_get("databases").get("databases") or 16)
    except redis.ResponseError:  # CONFIG refused (a managed Redis): the usual 16
        count = 16
    return [
        redis.Redis.from_url(database_url(url, number), socket_timeout=5) for number in range(count)
    ]


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
