"""Failed passwords, per account across every IP: may a password be tried now, and what a
wrong one costs.

Failed passwords are limited three ways. allauth counts them per IP (10 a minute) and per
account and IP (see `AccountAdapter._get_login_attempts_cache_key` and
accounts.rules.sign_in_limits). Here, consecutive failures per account from any IP: after
`SIGN_IN_FREE_FAILURES` each further try must wait a delay that starts at `SIGN_IN_FIRST_DELAY`
seconds and doubles up to `SIGN_IN_MAX_DELAY`, so many IPs together still meet it, while the
owner is never kept out for long. Browsers that have signed in to the account before skip that
delay. After `SIGN_IN_LOCK_AFTER` consecutive failures (NIST SP 800-63B: at most 100) the
password alone no longer signs in: a reset by code unlocks the account.

An identifier that names no account is counted the same way, in the same table, and forgotten
after the same idle time, so the answers never tell whether an account exists.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts import queries, tasks
from accounts.models import KnownBrowser, SignInFailures, User
from accounts.security_log import origin_of
from accounts.web.browsers import browser_key_hashes
from config import crypto
from config.celery import after_commit


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is refused before the password is checked."""

    locked: bool  # True: needs a password reset; False: wait a while, or prove it's a person


def required_delay(failures: int) -> int:
    """Seconds to wait after `failures` consecutive failures before the next try."""
    extra = failures - settings.SIGN_IN_FREE_FAILURES
    if extra < 0:
        return 0
    return int(min(settings.SIGN_IN_FIRST_DELAY * 2**extra, settings.SIGN_IN_MAX_DELAY))


def _keys(accounts: list[User], identifier: str) -> list[str]:
    """The counters a sign-in attempt touches: each account it names, else what was typed."""
    if accounts:
        return [crypto.keyed_hash("sign-in", f"account:{user.pk}") for user in accounts]
    return [crypto.keyed_hash("sign-in", f"identifier:{identifier.lower()}")]


def _live_counters(keys: list[str], request: HttpRequest | None = None) -> list[SignInFailures]:
    """Counters of these keys; a streak idle for `SIGN_IN_FAILURES_FORGOTTEN_AFTER` is over.

    With `request`, it also notes which keys have a counter at all, so that a sign-in right
    after the check skips clearing counters that are not there."""
    since = timezone.now() - timedelta(seconds=settings.SIGN_IN_FAILURES_FORGOTTEN_AFTER)
    counters = list(SignInFailures.objects.filter(key__in=keys))
    if request is not None:
        request.sign_in_counters = {  # type: ignore[attr-defined]
            "checked": set(keys),
            "found": {counter.key for counter in counters},
        }
    return [counter for counter in counters if counter.last_failed_at >= since]


def is_known_client(request: HttpRequest, accounts: list[User]) -> bool:
    """Whether this browser (its cookie) or phone (its client key) has signed in to one of the
    accounts before."""
    hashes = browser_key_hashes(request)
    if not hashes:
        return False
    # Asked of the browser alone, then matched here: the same query whether or not an
    # account is named (the answer's time must not tell).
    users = set(KnownBrowser.objects.filter(key_hash__in=hashes).values_list("user_id", flat=True))
    return any(user.pk in users for user in accounts)


def note_proven_person(request: HttpRequest) -> None:
    """This request answered a CAPTCHA right (the sign-in form's, a phone's through the API)."""
    request.portal_proven_person = True  # type: ignore[attr-defined]


def proven_person(request: HttpRequest) -> bool:
    return bool(getattr(request, "portal_proven_person", False))


def check_sign_in_allowed(
    request: HttpRequest,
    *,
    accounts: list[User],
    identifier: str,
    trust_browser: bool = True,
    proven_person: bool = False,
) -> Refusal | None:
    """None when a password may be tried now for the accounts `identifier` names.

    Once a delay is due, the first try after it claims the slot atomically, so many tries in
    parallel still get one check between them; a try that proved it comes from a person (a
    CAPTCHA answered: `proven_person`) need not wait, so strangers' failures cannot keep the
    owner out of a new browser or phone. A browser (or phone) that has signed in to the account
    before is not held back at all (unless `trust_browser` is False: a signed-in session
    confirming its password is held to the limits like anyone).
    """
    counters = _live_counters(_keys(accounts, identifier), request)
    if not counters:
        return None
    worst = max(counters, key=lambda counter: counter.failures)
    known = trust_browser and is_known_client(request, accounts)
    if worst.failures >= settings.SIGN_IN_LOCK_AFTER and not known:
        return Refusal(locked=True)
    delay = required_delay(worst.failures)
    if not delay or known or (proven_person and trust_browser):
        return None
    now = timezone.now()
    if now < worst.last_failed_at + timedelta(seconds=delay):
        return Refusal(locked=False)
    claimed = SignInFailures.objects.filter(
        pk=worst.pk, last_failed_at=worst.last_failed_at
    ).update(last_failed_at=now)
    return None if claimed else Refusal(locked=False)


def record_failed_sign_in(request: HttpRequest, *, accounts: list[User], identifier: str) -> None:
    """Count a wrong password against each account it named, or against what was typed when it
    named none, and leave the security log's entries to the worker: the request does the same
    work (one statement, one task) whether or not an account exists."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.SIGN_IN_FAILURES_FORGOTTEN_AFTER)
    failures = [
        queries.count_sign_in_failure(key, now=now, streak_since=since)
        for key in _keys(accounts, identifier)
    ]
    ip, user_agent = origin_of(request)
    after_commit(
        tasks.record_failed_sign_ins,
        user_ids=[user.pk for user in accounts],
        locked_ids=[
            user.pk
            for user, count in zip(accounts, failures, strict=False)
            if count == settings.SIGN_IN_LOCK_AFTER
        ],
        ip=ip,
        user_agent=user_agent,
        at=now.isoformat(),
    )


class PasswordRefused(Exception):  # noqa: N818 - reads as a condition
    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = str(message)


def confirm_password(request: HttpRequest, *, user: User, password: str) -> None:
    """A signed-in person typing their password again (to confirm a change, or to change it):
    held to the sign-in limits like anyone guessing it, without the known-browser exemption.
    Raises PasswordRefused; a wrong password counts as a failed sign-in."""
    if check_sign_in_allowed(request, accounts=[user], identifier="", trust_browser=False):
        raise PasswordRefused(
            gettext_lazy("Too many wrong passwords. Wait a few minutes and try again.")
        )
    if not user.check_password(password):
        record_failed_sign_in(request, accounts=[user], identifier="")
        raise PasswordRefused(gettext_lazy("That password isn't right."))


def failed_sign_ins(user: User) -> int:
    """Consecutive failed sign-ins of the account (0 once its streak is forgotten)."""
    counters = _live_counters(_keys([user], ""))
    return counters[0].failures if counters else 0


def clear_failed_sign_ins(user: User, request: HttpRequest | None = None) -> None:
    [key] = _keys([user], "")
    seen = getattr(request, "sign_in_counters", None)
    if seen and key in seen["checked"] and key not in seen["found"]:
        return  # this request's check found none
    queries.clear_sign_in_failures(key)


def forget_old_failures() -> int:
    since = timezone.now() - timedelta(seconds=settings.SIGN_IN_FAILURES_FORGOTTEN_AFTER)
    deleted, _ = SignInFailures.objects.filter(last_failed_at__lt=since).delete()
    return deleted
