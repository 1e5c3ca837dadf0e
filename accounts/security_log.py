"""The person's security log: what happened to their account, when, from where."""

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.functional import Promise

from accounts import queries
from accounts.models import SecurityEvent, User

Kind = SecurityEvent.Kind


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no usable address (a malformed proxy header): log it anyway
        return None


def record_event(
    *, user: User, kind: str, request: HttpRequest | None = None, **detail: str | Promise
) -> None:
    """Record one event. `detail` is shown to the person: never put a secret in it. Words the
    portal chose are given as lazy translations and kept in English (`SecurityEvent.summary`
    translates them when shown)."""
    with translation.override(None):
        detail = {key: str(value) for key, value in detail.items()}
    ip, user_agent = origin_of(request)
    queries.insert_security_event(
        user_id=user.pk,
        kind=str(kind),
        created_at=timezone.now(),
        ip=ip,
        user_agent=user_agent,
        detail=detail,
    )


def origin_of(request: HttpRequest | None) -> tuple[str | None, str]:
    """Where a request came from, as the log keeps it: the client's IP and its User-Agent."""
    user_agent = request.headers.get("User-Agent", "")[:_USER_AGENT_LENGTH] if request else ""
    return client_ip(request), user_agent


def record_events_from(
    *, user_ids: list[int], kind: str, ip: str | None, user_agent: str, created_at
) -> None:
    """The same event for several accounts, from a request answered earlier (the worker
    writes what a request left to it)."""
    for user_id in user_ids:
        queries.insert_security_event(
            user_id=user_id,
            kind=str(kind),
            created_at=created_at,
            ip=ip,
            user_agent=user_agent,
            detail={},
        )


_USER_AGENT_LENGTH = SecurityEvent._meta.get_field("user_agent").max_length
