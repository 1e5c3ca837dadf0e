"""The Redis cache: Django's, emptied of its own keys only."""

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

from config.cache import ResilientRedisCache

pytestmark = pytest.mark.services


def test_clear_removes_this_caches_keys_and_leaves_anothers():
    cache = caches["default"]
    assert isinstance(cache, ResilientRedisCache)
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    neighbour = f"{cache.key_prefix}-neighbour:1:kept"  # another program's prefix, one longer
    client.set(neighbour, b"x")
    try:
        cache.set_many({f"k{n}": n for n in range(1500)})  # more than one batch of unlinks
        assert cache.get("k1499") == 1499
        cache.clear()
        assert cache.get_many([f"k{n}" for n in range(1500)]) == {}
        assert client.get(neighbour) == b"x"
    finally:
        client.delete(neighbour)
