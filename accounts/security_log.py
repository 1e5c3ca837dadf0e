"""The person's security log: what happened to their account, when, from where."""

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import Promise

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
) -> SecurityEvent:
    """Record one event. `detail` is shown to the person: never put a secret in it. Words the
    portal chose are given as lazy translations and kept in English (`SecurityEvent.summary`
    translates them when shown)."""
    with translation.override(None):
        detail = {key: str(value) for key, value in detail.items()}
    return SecurityEvent.objects.create(
        user=user,
        kind=kind,
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300] if request else "",
        detail=detail,
    )
