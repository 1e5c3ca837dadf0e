"""allauth's user sessions (the rows of the sessions page), kept at sign-in in two statements.

At every sign-in allauth checks the account's earlier sessions one by one (does the session
still exist, then its data and its user: three queries each), so a sign-in grew slower with
every session an account had. Here one DELETE drops the rows whose session is gone or expired
and one INSERT adds the new one (accounts.queries): a sign-in always gets a new session key.
A session that still exists but no longer signs its user in (the password changed under it) is
dropped when the person opens the sessions page, which checks each row as allauth does
(`purge_and_list`).
"""

from datetime import timedelta

from allauth.account.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.http import HttpRequest
from django.utils import timezone

from accounts import queries

# A row this young may belong to a sign-in whose session is written at the end of its request
# (config/sessions.py): it is never taken for gone.
_SETTLING = timedelta(minutes=1)
_USER_AGENT_LENGTH = UserSession._meta.get_field("user_agent").max_length


def on_user_logged_in(sender, request: HttpRequest, user, **kwargs) -> None:
    if not request.session.session_key:
        request.session.save()
    now = timezone.now()
    queries.replace_user_sessions(
        user_id=user.pk,
        session_key=request.session.session_key or "",
        ip=get_adapter().get_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:_USER_AGENT_LENGTH],
        now=now,
        settled=now - _SETTLING,
    )
