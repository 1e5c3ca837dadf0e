"""The cache: Redis, where a Redis that is away reads as an empty cache instead of an error.

Pages keep working while Redis restarts: what the cache holds (ETags, allauth's rate-limit
history) is rebuilt or recounted. The send limits cannot shrug like that; they use `strict`,
which raises, and count from PostgreSQL instead (verification.limits).

Only the outage is the portal's: reads and writes are Django's `RedisCache`. What riding it out
costs is measured with the bench's `cache` switch (bench/README.md, "Home-made parts"): nothing
the noise lets through. A client kept per connection pool, once here for speed, measured no
gain there and went.
"""

import logging
import re
import time
from functools import cached_property

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_WARN_EVERY = 60.0


class StrictRedisCache(RedisCache):
    """Django's Redis cache (errors raise), whose clear() removes only its own keys."""

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
