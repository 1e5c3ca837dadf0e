"""allauth's user sessions (the rows of the sessions page), kept at sign-in in two statements.

At every sign-in allauth checks the account's earlier sessions one by one (does the session
still exist, then its data and its user: three queries each), so a sign-in grew slower with
every session an account had. Here one DELETE drops the rows whose session is gone or expired
and one INSERT adds the new one: a sign-in always gets a new session key. Both are written out,
as every sign-in runs them (building them with the ORM cost more than running them). A session
that still exists but no longer signs its user in (the password changed under it) is dropped
when the person opens the sessions page, which checks each row as allauth does
(`purge_and_list`).
"""

import json
from datetime import timedelta

from allauth.account.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

# A row this young may belong to a sign-in whose session is written at the end of its request
# (config/sessions.py): it is never taken for gone.
_SETTLING = timedelta(minutes=1)
_USER_AGENT_LENGTH = UserSession._meta.get_field("user_agent").max_length


def _statements() -> tuple[str, str]:
    rows, sessions = UserSession._meta, Session._meta
    column = {field.name: field.column for field in rows.concrete_fields}
    key = sessions.get_field("session_key").column
    expires = sessions.get_field("expire_date").column
    # Names come from the models; every value is a parameter.
    gone = (
        f"DELETE FROM {rows.db_table} WHERE {column['user']} = %s"  # noqa: S608
        f" AND {column['created_at']} < %s AND NOT EXISTS (SELECT 1 FROM {sessions.db_table} s"
        f" WHERE s.{key} = {rows.db_table}.{column['session_key']} AND s.{expires} > %s)"
    )
    fields = ["user", "session_key", "ip", "user_agent", "created_at", "last_seen_at", "data"]
    new = (
        f"INSERT INTO {rows.db_table} ({', '.join(column[name] for name in fields)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    return gone, new


_GONE, _NEW = _statements()


def on_user_logged_in(sender, request: HttpRequest, user, **kwargs) -> None:
    if not request.session.session_key:
        request.session.save()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    settled = connection.ops.adapt_datetimefield_value(timezone.now() - _SETTLING)
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:_USER_AGENT_LENGTH]
    ip = get_adapter().get_client_ip(request)
    with connection.cursor() as cursor:
        cursor.execute(_GONE, [user.pk, settled, now])
        cursor.execute(
            _NEW, [user.pk, request.session.session_key, ip, user_agent, now, now, json.dumps({})]
        )
