"""Send limits for codes: per client IP and per destination, in a rolling hour, in the cache.

The cache is Redis in production so the limits hold across web processes.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW = 60 * 60


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"sendlimit:{scope}:{digest}"


def _hit(key: str) -> int:
    if cache.add(key, 1, timeout=WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW)
        return 1


def allow_send(*, ip: str, destination: str) -> bool:
    """Count one send for this IP and destination; False when either is over its budget."""
    ip_count = _hit(_key("ip", ip))
    destination_count = _hit(_key("to", destination))
    return (
        ip_count <= settings.VERIFICATION_SENDS_PER_IP_PER_HOUR
        and destination_count <= settings.VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR
    )
