"""The person's security log: what happened to their account, when, from where."""

import json

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone, translation
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
) -> None:
    """Record one event. `detail` is shown to the person: never put a secret in it. Words the
    portal chose are given as lazy translations and kept in English (`SecurityEvent.summary`
    translates them when shown)."""
    with translation.override(None):
        detail = {key: str(value) for key, value in detail.items()}
    user_agent = request.headers.get("User-Agent", "")[:_USER_AGENT_LENGTH] if request else ""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT,
            [user.pk, str(kind), now, client_ip(request), user_agent, json.dumps(detail)],
        )


def _insert() -> str:
    """Every sign-in records an event: the INSERT is written out (building it with the ORM cost
    twice what running it did). Names come from the model; every value is a parameter."""
    meta = SecurityEvent._meta
    fields = ("user", "kind", "created_at", "ip_address", "user_agent", "detail")
    column = {field.name: field.column for field in meta.concrete_fields}
    columns = ", ".join(str(column[name]) for name in fields)
    values = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {meta.db_table} ({columns}) VALUES ({values})"  # noqa: S608


_INSERT = _insert()
_USER_AGENT_LENGTH = SecurityEvent._meta.get_field("user_agent").max_length
