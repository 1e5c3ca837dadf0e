"""The Redis cache: one client per connection pool, not one per operation."""

import pytest
from django.core.cache import caches

from config.cache import ResilientRedisCache

pytestmark = pytest.mark.services


def test_one_redis_client_serves_every_operation_from_every_thread():
    from concurrent.futures import ThreadPoolExecutor

    cache = caches["default"]
    assert isinstance(cache, ResilientRedisCache)
    client = cache._cache.get_client()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: cache.set(f"k{k}", k), range(64)))
        assert list(pool.map(lambda k: cache.get(f"k{k}"), range(64))) == list(range(64))
    assert cache._cache.get_client(write=True) is client
    strict = cache.strict._cache
    assert strict.get_client() is strict.get_client() is not client
