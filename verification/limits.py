"""Send limits for codes, counted in the cache (Redis in production, so they hold across web
processes) over a fixed one-hour window that starts with the first send.

Three budgets: per client IP; per destination and IP (small, so one client cannot flood a
number or address); per destination (larger, so a victim's number is not blocked for its owner
by a few strangers, while it still caps what many clients together can send there).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW = 60 * 60


class SendLimitReached(Exception):  # noqa: N818 - reads as a condition
    """A send budget is spent: nothing was sent."""


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
    """Count one send for this IP and destination; False when any budget is spent."""
    budgets = [
        (_key("ip", ip), settings.VERIFICATION_SENDS_PER_IP_PER_HOUR),
        (
            _key("to-from", f"{destination}|{ip}"),
            settings.VERIFICATION_SENDS_PER_DESTINATION_PER_IP,
        ),
        (_key("to", destination), settings.VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR),
    ]
    counts = [(_hit(key), budget) for key, budget in budgets]  # count every budget
    return all(count <= budget for count, budget in counts)
