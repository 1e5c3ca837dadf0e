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


class TooManyWrongCodes(SendLimitReached):
    """So many wrong codes were tried for one number, address or person today that no new
    code is sent (each code allows only a few tries; this caps them across codes)."""


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


def _wrong_codes_key(scope: str) -> str:
    return _key("wrong-codes", scope)


def count_wrong_code(scope: str) -> None:
    """One more wrong code for `scope` (a purpose and destination, or a person) today."""
    key = _wrong_codes_key(scope)
    if not cache.add(key, 1, timeout=24 * 60 * 60):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=24 * 60 * 60)


def too_many_wrong_codes(scope: str) -> bool:
    return (cache.get(_wrong_codes_key(scope)) or 0) >= settings.VERIFICATION_WRONG_CODES_PER_DAY
