"""The accounts statements written out by hand, each on a path every sign-in takes, where the
ORM's building of it cost more than the database's answer (bench/README.md). Table and column
names come from the models; every value is a parameter.

With `STOCK_PARTS=sql` (settings.STOCK_SQL, for the bench to measure them) each is made by the
ORM instead, to the same effect.
Why they stay: they win on sign-in against the ORM (bench/README.md, "Home-made parts
against Django's")."""

import json
from functools import lru_cache

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from accounts.models import KnownBrowser, SecurityEvent, SignInFailures, SmsSecondFactor, User


def _columns(model) -> dict[str, str]:
    return {field.name: field.column for field in model._meta.concrete_fields}


def _adapt(when):
    return connection.ops.adapt_datetimefield_value(when)


# --- The security log ----------------------------------------------------------------------------
def _insert_event() -> str:
    column = _columns(SecurityEvent)
    fields = ("user", "kind", "created_at", "ip_address", "user_agent", "detail")
    columns = ", ".join(column[name] for name in fields)
    values = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {SecurityEvent._meta.db_table} ({columns}) VALUES ({values})"  # noqa: S608


_INSERT_EVENT = _insert_event()


def insert_security_event(
    *, user_id: int, kind: str, created_at, ip: str | None, user_agent: str, detail: dict
) -> None:
    if settings.STOCK_SQL:
        SecurityEvent.objects.create(
            user_id=user_id,
            kind=kind,
            created_at=created_at,
            ip_address=ip,
            user_agent=user_agent,
            detail=detail,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_EVENT,
            [user_id, kind, _adapt(created_at), ip, user_agent, json.dumps(detail)],
        )


# --- Second factors ------------------------------------------------------------------------------
def _second_factors() -> str:
    app, sms = Authenticator._meta, SmsSecondFactor._meta
    user, kind = app.get_field("user").column, app.get_field("type").column
    enabled = sms.get_field("enabled_at").column
    return (
        f"SELECT EXISTS(SELECT 1 FROM {app.db_table} WHERE {user} = %s AND {kind} = %s),"  # noqa: S608
        f" EXISTS(SELECT 1 FROM {sms.db_table}"
        f" WHERE {sms.get_field('user').column} = %s AND {enabled} IS NOT NULL),"
        f" EXISTS(SELECT 1 FROM {app.db_table} WHERE {user} = %s AND {kind} = %s)"
    )


_SECOND_FACTORS = _second_factors()


def second_factors_on(user_id: int) -> tuple[bool, bool, bool]:
    """(authenticator app on, SMS codes on, a passkey), in one query: every sign-in asks."""
    if settings.STOCK_SQL:
        apps = Authenticator.objects.filter(user_id=user_id)
        return (
            apps.filter(type=Authenticator.Type.TOTP).exists(),
            SmsSecondFactor.objects.filter(user_id=user_id, enabled_at__isnull=False).exists(),
            apps.filter(type=Authenticator.Type.WEBAUTHN).exists(),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _SECOND_FACTORS,
            [
                user_id,
                Authenticator.Type.TOTP.value,
                user_id,
                user_id,
                Authenticator.Type.WEBAUTHN.value,
            ],
        )
        app, sms, passkey = cursor.fetchone()
    return bool(app), bool(sms), bool(passkey)


# --- Sign-in -------------------------------------------------------------------------------------
_CLEAR_FAILURES = (
    f"DELETE FROM {SignInFailures._meta.db_table}"  # noqa: S608
    f" WHERE {SignInFailures._meta.get_field('key').column} = %s"
)


def _count_failure() -> str:
    table, column = SignInFailures._meta.db_table, _columns(SignInFailures)
    key, failures, last = column["key"], column["failures"], column["last_failed_at"]
    return (
        f"INSERT INTO {table} ({key}, {failures}, {last}) VALUES (%s, 1, %s)"  # noqa: S608
        f" ON CONFLICT ({key}) DO UPDATE SET {failures} = CASE WHEN {table}.{last} < %s"
        f" THEN 1 ELSE {table}.{failures} + 1 END, {last} = EXCLUDED.{last}"
        f" RETURNING {failures}"
    )


_COUNT_FAILURE = _count_failure()


def count_sign_in_failure(key: str, *, now, streak_since) -> int:
    """One more failure under `key` (a streak last extended before `streak_since` starts
    over), in one statement whether or not the key has a counter; the failures now."""
    if settings.STOCK_SQL:
        return _count_failure_by_orm(key, now=now, streak_since=streak_since)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_FAILURE, [key, _adapt(now), _adapt(streak_since)])
        return cursor.fetchone()[0]


def _count_failure_by_orm(key: str, *, now, streak_since) -> int:
    with transaction.atomic():
        row, created = SignInFailures.objects.select_for_update().get_or_create(
            key=key, defaults={"failures": 1, "last_failed_at": now}
        )
        if not created:
            row.failures = 1 if row.last_failed_at < streak_since else row.failures + 1
            row.last_failed_at = now
            row.save(update_fields=["failures", "last_failed_at"])
    return row.failures


def clear_sign_in_failures(key: str) -> None:
    """One DELETE (the ORM wraps even a plain DELETE in a transaction: three round trips)."""
    if settings.STOCK_SQL:
        SignInFailures.objects.filter(key=key).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(_CLEAR_FAILURES, [key])


@lru_cache(maxsize=8)
def _browser_seen_again(hashes: int) -> str:
    """For `hashes` hashes of the browser's key (one per key: config/crypto.py)."""
    column = _columns(KnownBrowser)
    return (
        f"UPDATE {KnownBrowser._meta.db_table} SET {column['last_seen_at']} = %s,"  # noqa: S608
        f" {column['user_agent']} = %s, {column['key_hash']} = %s"
        f" WHERE {column['user']} = %s AND {column['key_hash']} IN ({', '.join(['%s'] * hashes)})"
    )


def browser_seen_again(*, user_id: int, key_hashes: list[str], when, user_agent: str) -> bool:
    """Note that a browser the account knows signed in again, stored under the newest of
    `key_hashes` from now on; False if it is not known."""
    if settings.STOCK_SQL:
        return bool(
            KnownBrowser.objects.filter(user_id=user_id, key_hash__in=key_hashes).update(
                last_seen_at=when, user_agent=user_agent, key_hash=key_hashes[0]
            )
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _browser_seen_again(len(key_hashes)),
            [_adapt(when), user_agent, key_hashes[0], user_id, *key_hashes],
        )
        return bool(cursor.rowcount)


_LAST_LOGIN = (
    f"UPDATE {User._meta.db_table} SET {User._meta.get_field('last_login').column} = %s"  # noqa: S608
    f" WHERE {User._meta.pk.column} = %s"
)


def update_last_login(*, user_id: int, when) -> None:
    if settings.STOCK_SQL:
        User.objects.filter(pk=user_id).update(last_login=when)
        return
    with connection.cursor() as cursor:
        cursor.execute(_LAST_LOGIN, [_adapt(when), user_id])


# --- The sessions list (allauth's user sessions) -------------------------------------------------
def _user_sessions() -> tuple[str, str]:
    rows, sessions = UserSession._meta, Session._meta
    column = _columns(UserSession)
    key = sessions.get_field("session_key").column
    expires = sessions.get_field("expire_date").column
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


_SESSIONS_GONE, _NEW_SESSION = _user_sessions()


def replace_user_sessions(
    *, user_id: int, session_key: str, ip: str | None, user_agent: str, now, settled
) -> None:
    """Drop the account's rows whose session is gone or expired (older than `settled`) and add
    the new session's: two statements, whatever the number of earlier sessions."""
    if settings.STOCK_SQL:
        live = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=now)
        UserSession.objects.filter(user_id=user_id, created_at__lt=settled).exclude(
            Exists(live)
        ).delete()
        UserSession.objects.create(
            user_id=user_id,
            session_key=session_key,
            ip=ip,
            user_agent=user_agent,
            created_at=now,
            last_seen_at=now,
            data={},
        )
        return
    now = _adapt(now)
    with connection.cursor() as cursor:
        cursor.execute(_SESSIONS_GONE, [user_id, _adapt(settled), now])
        cursor.execute(_NEW_SESSION, [user_id, session_key, ip, user_agent, now, now, "{}"])
