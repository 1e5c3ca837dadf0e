"""Send limits for codes, counted in the cache (Redis in production, so they hold across web
processes) over a fixed window that starts with the first send.

Three budgets per hour: per client IP; per destination and IP (small, so one client cannot
flood a number or address); per destination (larger, so a victim's number is not blocked for
its owner by a few strangers, while it still caps what many clients together can send there).

SMS has a fraud guard on top (SMS pumping): only numbers of the allowed countries, a budget
per number prefix (the first digits after the country code, where pumping rings own ranges)
per hour, and a global budget per day. Its blocks are recorded for staff (BlockedSend).

While Redis is away the budgets a message can be traced to (per destination, per prefix, the
day's SMS) are counted from the messages in PostgreSQL instead; the per-IP and per-account
budgets are then not counted (the CAPTCHA and the code's own limits still stand).

With Redis, a send's counters are counted by a Lua script in one round trip (two for an SMS).
"""

import hashlib
import ipaddress
import logging
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WINDOW = 60 * 60
DAY = 24 * 60 * 60


class SendLimitReached(Exception):  # noqa: N818 - reads as a condition
    """A send budget is spent: nothing was sent."""


class TooManyWrongCodes(SendLimitReached):
    """So many wrong codes were tried for one number, address or person today that no new
    code is sent (each code allows only a few tries; this caps them across codes)."""


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"sendlimit:{scope}:{digest}"


class SmsBlocked(SendLimitReached):
    """The SMS fraud guard refused the number: `reason` says why (for staff, not the person)."""

    def __init__(self, reason: str, destination: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.destination = destination


def _counters():
    """The cache, raising when Redis is away (config.cache.ResilientRedisCache.strict)."""
    return getattr(cache, "strict", cache)


# KEYS: the counters. ARGV: each one's limit, then each one's window in seconds. Counts one hit
# on every counter only if none would pass its limit; returns 0 then, else the (1-based) index
# of the first counter that would. A refused send costs nothing.
_SPEND = """
local n = #KEYS
for i, key in ipairs(KEYS) do
  if (tonumber(redis.call('GET', key)) or 0) + 1 > tonumber(ARGV[i]) then return i end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, tonumber(ARGV[n + i])) end
end
return 0
"""


def _spend(budgets: list[tuple[str, int, int]]) -> int | None:
    """Count one send on every (key, limit, window) budget if none is spent; else count nothing
    and return the index of the first spent one. With Redis, one atomic round trip; raises
    RedisError when Redis is away."""
    cache = _counters()
    if not isinstance(cache, RedisCache):
        for index, (key, limit, _window) in enumerate(budgets):
            if (cache.get(key) or 0) + 1 > limit:
                return index
        for key, _limit, window in budgets:
            _hit(key, window)
        return None
    client = cache._cache.get_client(write=True)
    script = client.register_script(_SPEND)
    keys = [cache.make_and_validate_key(key) for key, _, _ in budgets]
    limits = [limit for _, limit, _ in budgets]
    windows = [window for _, _, window in budgets]
    over = int(script(keys=keys, args=[*limits, *windows]))
    return over - 1 if over else None


def _hit(key: str, window: int = WINDOW) -> int:
    counters = _counters()
    if counters.add(key, 1, timeout=window):
        return 1
    try:
        return counters.incr(key)
    except ValueError:  # expired between add and incr
        counters.add(key, 1, timeout=window)
        return 1


def sms_prefix(e164: str) -> str:
    """+919876543210 -> "+91 9876": the country code and the first national digits."""
    return _prefix_of(phonenumbers.parse(e164, None))


def _prefix_of(number: phonenumbers.PhoneNumber) -> str:
    national = str(number.national_number)
    return f"+{number.country_code} {national[: settings.SMS_PREFIX_DIGITS]}"


def _checked_sms_prefix(destination: str) -> str:
    """The guard's checks of the number itself (a mobile number of an allowed country); returns
    its prefix."""
    try:
        number = phonenumbers.parse(destination, None)
    except phonenumbers.NumberParseException:
        raise SmsBlocked("not a phone number", destination) from None
    region = phonenumbers.region_code_for_number(number)
    if region not in settings.SMS_COUNTRIES:
        raise SmsBlocked(f"country {region} not allowed", destination)
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise SmsBlocked("not a mobile number", destination)
    return _prefix_of(number)


def _day() -> str:
    return timezone.now().strftime("%Y-%m-%d")


def _sms_counts_from_database(prefix: str) -> tuple[int, int]:
    """This send and the SMS already queued for the prefix this hour, and today (UTC)."""
    from verification.models import Channel, OutboundMessage

    since = timezone.now() - timedelta(seconds=WINDOW)
    digits = prefix.replace(" ", "")
    in_prefix = OutboundMessage.objects.filter(
        channel=Channel.SMS, to__startswith=digits, created_at__gte=since
    )
    return in_prefix.count() + 1, _sms_today_from_database() + 1


def _sms_today_from_database() -> int:
    from verification.models import Channel, OutboundMessage

    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return OutboundMessage.objects.filter(channel=Channel.SMS, created_at__gte=midnight).count()


def sending_client(ip: str) -> str:
    """Who a send is counted against: the IPv4 address, or the IPv6 /64 (what one home line or
    phone owns), so a client cannot spread its sends over its own addresses."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def allow_send(*, ip: str, destination: str, account: str = "") -> bool:
    """Count one send for this client and destination (and the account it is for, when known)
    if every budget allows it; False when one is spent. For an SMS (a destination in E.164),
    raises SmsBlocked when the fraud guard refuses it: not a mobile number of an allowed
    country, its number prefix spent this hour, today's SMS spent, or this client's share of
    today's SMS spent. A refused send counts against no budget, so nobody can spend a budget
    that others share by being refused."""
    client = sending_client(ip)
    sms = destination.startswith("+")
    prefix = _checked_sms_prefix(destination) if sms else ""
    budgets = [
        (_key("ip", client), settings.VERIFICATION_SENDS_PER_IP_PER_HOUR, WINDOW),
        (
            _key("to-from", f"{destination}|{client}"),
            settings.VERIFICATION_SENDS_PER_DESTINATION_PER_IP,
            WINDOW,
        ),
        (_key("to", destination), settings.VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR, WINDOW),
    ]
    if account:
        budgets.append(
            (_key("account", account), settings.VERIFICATION_SENDS_PER_ACCOUNT_PER_HOUR, WINDOW)
        )
    general = len(budgets)
    if sms:
        day = _day()
        budgets += [
            (_key("prefix", prefix), settings.SMS_SENDS_PER_PREFIX_PER_HOUR, WINDOW),
            (f"sendlimit:sms-day:{day}", settings.SMS_DAILY_BUDGET, DAY),
            (_key("sms-day-ip", f"{day}|{client}"), settings.SMS_SENDS_PER_IP_PER_DAY, DAY),
        ]
    try:
        over = _spend(budgets)
    except RedisError:
        logger.warning("send limits: Redis unavailable, counting from the database")
        return _allow_from_database(destination, prefix=prefix)
    if over is None:
        return True
    if over < general:
        return False
    reasons = [
        f"prefix {prefix} over its hourly budget",
        "daily SMS budget spent",
        "this client's share of today's SMS spent",
    ]
    raise SmsBlocked(reasons[over - general], destination)


def _allow_from_database(destination: str, *, prefix: str) -> bool:
    """While Redis is away: the budgets a message can be traced to, counted from the messages
    queued (a refused send queues none)."""
    if _destination_count_from_database(destination) > (
        settings.VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR
    ):
        return False
    if prefix:  # an SMS
        prefix_count, day_count = _sms_counts_from_database(prefix)
        if prefix_count > settings.SMS_SENDS_PER_PREFIX_PER_HOUR:
            raise SmsBlocked(f"prefix {prefix} over its hourly budget", destination)
        if day_count > settings.SMS_DAILY_BUDGET:
            raise SmsBlocked("daily SMS budget spent", destination)
    return True


def _destination_count_from_database(destination: str) -> int:
    """This send and the messages already queued to the destination this hour."""
    from verification.models import OutboundMessage

    since = timezone.now() - timedelta(seconds=WINDOW)
    return OutboundMessage.objects.filter(to=destination, created_at__gte=since).count() + 1


def fraud_guard_settings() -> list[tuple[str, str]]:
    """What the guard allows, as staff read it in admin."""

    def hourly(count: int) -> str:
        return ngettext("%(count)d an hour", "%(count)d an hour", count) % {"count": count}

    return [
        (_("Countries texts may go to"), ", ".join(sorted(settings.SMS_COUNTRIES)) or _("none")),
        (_("Line types"), _("mobile only (no landlines)")),
        (
            _("Per number prefix"),
            _("%(budget)s (country code and %(digits)d digits)")
            % {
                "budget": hourly(settings.SMS_SENDS_PER_PREFIX_PER_HOUR),
                "digits": settings.SMS_PREFIX_DIGITS,
            },
        ),
        (_("All SMS, per day"), str(settings.SMS_DAILY_BUDGET)),
        (
            _("SMS per client (IPv4 address or IPv6 /64), per day"),
            str(settings.SMS_SENDS_PER_IP_PER_DAY),
        ),
        (_("Codes per client IP"), hourly(settings.VERIFICATION_SENDS_PER_IP_PER_HOUR)),
        (
            _("Codes per number or address"),
            hourly(settings.VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR),
        ),
        (
            _("Codes per number or address from one IP"),
            hourly(settings.VERIFICATION_SENDS_PER_DESTINATION_PER_IP),
        ),
        (
            _("Codes per signed-in account"),
            hourly(settings.VERIFICATION_SENDS_PER_ACCOUNT_PER_HOUR),
        ),
    ]


def sms_sent_today() -> int:
    """SMS counted against today's budget (from Redis; from PostgreSQL while it is away)."""
    day = timezone.now().strftime("%Y-%m-%d")
    try:
        return int(_counters().get(f"sendlimit:sms-day:{day}") or 0)
    except RedisError:
        return _sms_today_from_database()


def record_block(error: SmsBlocked, *, ip: str | None) -> None:
    """Keep a refused SMS for staff (called once the refused request's transaction is over)."""
    from verification.models import BlockedSend

    try:
        prefix = sms_prefix(error.destination)
    except phonenumbers.NumberParseException:
        prefix = ""
    BlockedSend.objects.create(
        destination=error.destination[:32], prefix=prefix, reason=error.reason[:200], ip=ip
    )


def _wrong_codes_key(scope: str) -> str:
    return _key("wrong-codes", scope)


def count_wrong_code(scope: str) -> None:
    """One more wrong code for `scope` (a purpose and destination, or a person) today."""
    try:
        _hit(_wrong_codes_key(scope), DAY)
    except RedisError:  # each code's own five tries still hold
        logger.warning("wrong-code count lost: Redis unavailable")


def too_many_wrong_codes(scope: str) -> bool:
    return (cache.get(_wrong_codes_key(scope)) or 0) >= settings.VERIFICATION_WRONG_CODES_PER_DAY
