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
    user_agent = request.headers.get("User-Agent", "")[:_USER_AGENT_LENGTH] if request else ""
    queries.insert_security_event(
        user_id=user.pk,
        kind=str(kind),
        created_at=timezone.now(),
        ip=client_ip(request),
        user_agent=user_agent,
        detail=detail,
    )


_USER_AGENT_LENGTH = SecurityEvent._meta.get_field("user_agent").max_length
