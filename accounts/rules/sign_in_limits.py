"""Sign-in attempts per IP, and failed sign-ins per IP and per account and IP
(`SIGN_IN_RATE_LIMITS`, allauth's `login` and `login_failed` limits and format), counted in one
Redis round trip per try.

Like allauth, each rate keeps the times of recent tries, and a try whose password turns out right
is taken back from the failure rates, so only failures stay counted there. allauth does this
through the cache with a lock, a read and a write per rate (20 Redis commands for a right
password, a tenth of a sign-in's CPU time besides the hash), and refuses every sign-in (429)
while Redis is away. Here each rate is a sorted set of try times and a Lua script checks every
rate and logs the try in all of them, or in none, atomically; taking it back is one more round
trip. When Redis does not answer, a try goes ahead (logged): the per-account delays of
`accounts.rules.failed_passwords` live in the database and still hold. Where the cache is not Redis
(development without a server), allauth's implementation counts, with the same rates.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from allauth.core.internal import ratelimit
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# KEYS: one sorted set per rate. ARGV: now, the try's name, then amount and period per rate.
_TRY = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local amount, period = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
  if redis.call('ZCARD', key) >= amount then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[2 + 2 * i])))
end
return 1
"""


class Allowed:
    """A try that went ahead; `rollback` takes it back from the failure rates (allauth's adapter
    calls it after a right password)."""

    def rollback(self) -> None:
        pass


@dataclass
class Logged(Allowed):
    client: object
    keys: list[str]
    name: str

    def rollback(self) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)  # type: ignore[attr-defined]
            for key in self.keys:
                pipe.zrem(key, self.name)
            pipe.execute()
        except RedisError as error:
            logger.warning("could not take back a sign-in try (%s)", error)


def try_sign_in(request: HttpRequest, key: str) -> Allowed | None:
    """Log a try against every rate; None (nothing logged) when one of them is used up. `key`
    names the account and IP (the adapter's `_get_login_attempts_cache_key`)."""
    config = settings.SIGN_IN_RATE_LIMITS
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return _with_allauth(request, key, config)
    attempts = _rates(cache, request, key, "login", config)
    failures = _rates(cache, request, key, "login_failed", config)
    if not attempts and not failures:
        return Allowed()
    keys = [k for k, _, _ in attempts + failures]
    args = [arg for _, amount, period in attempts + failures for arg in (amount, period)]
    name = f"{time.time():.6f}:{secrets.token_hex(4)}"
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    try:
        allowed = client.register_script(_TRY)(keys=keys, args=[time.time(), name, *args])
    except RedisError as error:
        logger.warning("sign-in limits unavailable (%s); the per-account delays still hold", error)
        return Allowed()
    return Logged(client, [k for k, _, _ in failures], name) if allowed else None


def _rates(cache, request, key: str, action: str, config) -> list[tuple[str, int, float]]:
    rates = []
    for rate in ratelimit.parse_rates(config.get(action)):
        if rate.per == "ip":
            source = ratelimit.get_ip(request)
        else:
            source = hashlib.sha256(key.encode()).hexdigest()
        name = cache.make_key(f"sign-in:{action}:{rate.amount}/{rate.duration}:{source}")
        rates.append((name, rate.amount, rate.duration))
    return rates


def _with_allauth(request: HttpRequest, key: str, config: dict) -> Allowed | None:
    common = {"app": "allauth.account", "config": config, "key": key}
    if not ratelimit.consume(request, action="login", **common):
        return None
    return ratelimit.consume(request, action="login_failed", **common)  # type: ignore[return-value]
