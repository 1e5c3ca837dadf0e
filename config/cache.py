"""The cache: Redis, where a Redis that is away reads as an empty cache instead of an error.

Pages keep working while Redis restarts: what the cache holds (ETags, allauth's rate-limit
history) is rebuilt or recounted. The send limits cannot shrug like that; they use `strict`,
which raises, and count from PostgreSQL instead (verification.limits).
"""

import logging
import re
import time
from functools import cached_property

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_WARN_EVERY = 60.0


class ClientPerPool(RedisCacheClient):
    """Django's client builds a `redis.Redis` (with its table of some 200 reply parsers) for
    every operation, a good part of a cache hit's cost; one per connection pool serves every
    thread (the pool hands each command its own connection).

    Why it stays: it wins on the TOTP step of a sign-in, where allauth's rate limits make 16
    cache calls (bench/README.md, "Home-made parts against Django's")."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class StrictRedisCache(RedisCache):
    """Django's Redis cache (errors raise), with one client per pool, whose clear() removes
    only its own keys."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ClientPerPool

    def clear(self) -> None:
        """Remove the keys under this cache's KEY_PREFIX and nothing else. Django's clear()
        empties the whole Redis database, which another program may share (another portal
        with its own prefix, or the test suite beside a running portal)."""
        client = self._cache.get_client(write=True)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)


class ResilientRedisCache(StrictRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._server, self._params = server, params
        self._last_warning = 0.0

    @cached_property
    def strict(self) -> RedisCache:
        """The same cache, raising RedisError when Redis is away."""
        return StrictRedisCache(self._server, self._params)

    def _away(self, operation: str, error: RedisError) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            self._last_warning = now
            logger.warning("cache unavailable (%s on %s); carrying on without it", error, operation)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            self._away("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            self._away("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            self._away("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            self._away("add", error)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            self._away("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            self._away("set_many", error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            self._away("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            self._away("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError as error:
            self._away("delete_many", error)
            return None

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            self._away("incr", error)
            raise ValueError(f"Key '{key}' not found (the cache is away)") from error
