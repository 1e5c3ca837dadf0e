"""Sign-in: what happens after a success (security log, known browsers, new-browser notice)
and the per-account brute-force limit.

Failed passwords are limited three ways. allauth counts them per IP (10 a minute) and per
account and IP (see `AccountAdapter._get_login_attempts_cache_key`). Here, consecutive failures
per account from any IP: after `SIGN_IN_FREE_FAILURES` each further try must wait a delay that
starts at `SIGN_IN_FIRST_DELAY` seconds and doubles up to `SIGN_IN_MAX_DELAY`, so many IPs
together still meet it, while the owner is never kept out for long. Browsers that have signed
in to the account before skip that delay. After `SIGN_IN_LOCK_AFTER` consecutive failures
(NIST SP 800-63B: at most 100) the password alone no longer signs in: a reset by code
unlocks the account.

An identifier that names no account is counted the same way in the cache, so the answers
never tell whether an account exists.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts import messages
from accounts.browsers import browser_key_hash, describe
from accounts.models import KnownBrowser, SecurityEvent, User
from accounts.security_log import client_ip, record_event
from verification import crypto

Kind = SecurityEvent.Kind
UNKNOWN_TTL = 24 * 60 * 60


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is refused before the password is checked."""

    locked: bool  # True: needs a password reset; False: wait `seconds`
    seconds: int = 0


def required_delay(failures: int) -> int:
    """Seconds to wait after `failures` consecutive failures before the next try."""
    extra = failures - settings.SIGN_IN_FREE_FAILURES
    if extra < 0:
        return 0
    return int(min(settings.SIGN_IN_FIRST_DELAY * 2**extra, settings.SIGN_IN_MAX_DELAY))


def _unknown_key(identifier: str) -> str:
    return "signin-failures:" + crypto.keyed_hash("sign-in", identifier.lower())[:40]


def _failures(accounts: list[User], identifier: str) -> tuple[int, datetime | None]:
    if accounts:
        worst = max(accounts, key=lambda user: user.failed_sign_ins)
        return worst.failed_sign_ins, worst.last_failed_sign_in_at
    count, at = cache.get(_unknown_key(identifier), (0, None))
    return count, at


def _is_known_browser(request: HttpRequest, accounts: list[User]) -> bool:
    key_hash = browser_key_hash(request)
    return bool(key_hash) and any(
        KnownBrowser.objects.filter(user=user, key_hash=key_hash).exists() for user in accounts
    )


def check_sign_in_allowed(
    request: HttpRequest, *, accounts: list[User], identifier: str
) -> Refusal | None:
    """None when a password may be tried now for the accounts `identifier` names."""
    failures, last_at = _failures(accounts, identifier)
    if failures >= settings.SIGN_IN_LOCK_AFTER:
        return Refusal(locked=True)
    delay = required_delay(failures)
    if not delay or last_at is None or _is_known_browser(request, accounts):
        return None
    wait = (last_at + timedelta(seconds=delay) - timezone.now()).total_seconds()
    return Refusal(locked=False, seconds=int(wait) + 1) if wait > 0 else None


def record_failed_sign_in(request: HttpRequest, *, accounts: list[User], identifier: str) -> None:
    now = timezone.now()
    if not accounts:
        count, _ = cache.get(_unknown_key(identifier), (0, None))
        cache.set(_unknown_key(identifier), (count + 1, now), timeout=UNKNOWN_TTL)
        return
    for user in accounts:
        User.objects.filter(pk=user.pk).update(
            failed_sign_ins=F("failed_sign_ins") + 1, last_failed_sign_in_at=now
        )
        user.refresh_from_db(fields=["failed_sign_ins", "last_failed_sign_in_at"])
        record_event(user=user, kind=Kind.SIGN_IN_FAILED, request=request)
        if user.failed_sign_ins == settings.SIGN_IN_LOCK_AFTER:
            record_event(user=user, kind=Kind.SIGN_IN_LOCKED, request=request)


def clear_failed_sign_ins(user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_sign_ins=0, last_failed_sign_in_at=None)


def record_sign_in(request: HttpRequest, user: User) -> None:
    """A complete sign-in (password and, where on, second factor): log it, remember the
    browser, and tell the person when the browser is new to the account."""
    clear_failed_sign_ins(user)
    user_agent = request.headers.get("User-Agent", "")[:300]
    browser = describe(user_agent)
    record_event(user=user, kind=Kind.SIGNED_IN, request=request, browser=browser)
    key_hash = browser_key_hash(request)
    if not key_hash:
        return
    now = timezone.now()
    known, created = KnownBrowser.objects.get_or_create(
        user=user, key_hash=key_hash, defaults={"user_agent": user_agent, "last_seen_at": now}
    )
    if not created:
        KnownBrowser.objects.filter(pk=known.pk).update(last_seen_at=now, user_agent=user_agent)
        return
    # The browser an account was created in is its first; any later new one gets a notice.
    if user.known_browsers.exclude(pk=known.pk).exists():
        messages.send_security_notice(
            user=user,
            notice="new_sign_in",
            context={
                "browser": browser,
                "ip": client_ip(request) or "unknown",
                "when": timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z"),
            },
        )
