"""Sign-in: what happens after a success (security log, known browsers, new-browser
notice). Whether a password may be tried is accounts.rules.failed_passwords'."""

from django.http import HttpRequest
from django.utils import timezone

from accounts import outgoing, queries
from accounts.models import KnownBrowser, SecurityEvent, User
from accounts.rules.failed_passwords import clear_failed_sign_ins
from accounts.security_log import client_ip, record_event
from accounts.web.browsers import browser_key_hashes, describe

Kind = SecurityEvent.Kind


def record_sign_in(request: HttpRequest, user: User) -> None:
    """A complete sign-in (password and, where on, second factor): log it, remember the
    browser, and tell the person when the browser is new to the account."""
    clear_failed_sign_ins(user, request)
    user_agent = request.headers.get("User-Agent", "")[:300]
    browser = describe(user_agent)
    record_event(user=user, kind=Kind.SIGNED_IN, request=request, browser=browser)
    known = remember_browser(request, user)
    # The browser an account was created in is its first; any later new one gets a notice.
    if known is not None and user.known_browsers.exclude(pk=known.pk).exists():
        outgoing.send_security_notice(
            user=user,
            notice="new_sign_in",
            context={
                "browser": browser,
                "ip": client_ip(request) or "unknown",
                "when": timezone.now(),
            },
        )


def remember_browser(request: HttpRequest, user: User) -> KnownBrowser | None:
    """Remember the browser (or phone: its client key) as one that signed in to the account,
    so strangers' failed passwords never hold it up. Returns the row when it is new to the
    account, else None."""
    hashes = browser_key_hashes(request)
    if not hashes:
        return None
    user_agent = request.headers.get("User-Agent", "")[:300]
    now = timezone.now()
    # Most sign-ins come from a browser the account knows: one UPDATE says so (and stores it
    # under the newest key, if an older one hashed it).
    if queries.browser_seen_again(
        user_id=user.pk, key_hashes=hashes, when=now, user_agent=user_agent
    ):
        return None
    known, created = KnownBrowser.objects.get_or_create(
        user=user, key_hash=hashes[0], defaults={"user_agent": user_agent, "last_seen_at": now}
    )
    return known if created else None  # not created: the same browser, signing in twice at once
