"""The verification app's queries: the reads staff and the sweep make, and the two statements
of a message's delivery written out by hand (every message takes them, and the ORM's
transaction, locked read and save cost the worker more than the send; bench/README.md). Names
come from the model; every value is a parameter. With `STOCK_PARTS=sql` (settings.STOCK_SQL,
for the bench to measure them) those two are made by the ORM instead, to the same effect.
Why they stay: they halved the worker's CPU per SMS (bench/README.md, "Tuning, measured before
and after")."""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from verification.models import Channel, OutboundMessage


def stuck_message_ids(
    *, not_older_than: timedelta = timedelta(days=1), limit: int = 500
) -> list[int]:
    """Messages still queued well after their next attempt was due (their task never reached
    the broker, or the broker lost it) and not in flight, but not so old that sending them now
    would surprise anyone."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.MESSAGE_REQUEUE_AFTER)
    return list(
        OutboundMessage.objects.filter(
            Q(in_flight_until__isnull=True) | Q(in_flight_until__lt=now),
            status=OutboundMessage.Status.QUEUED,
            next_attempt_at__lt=overdue,
            created_at__gt=now - not_older_than,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def mark_requeued(ids: list[int]) -> None:
    """Their next attempt is due now (so the next sweep leaves them to their new task)."""
    OutboundMessage.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())


def _delivery_statements() -> tuple[str, list[str], str]:
    """The claim of a first attempt, the fields it reads back, and the record of a send."""
    meta = OutboundMessage._meta
    column = {field.attname: str(field.column) for field in meta.concrete_fields}
    queued = OutboundMessage.Status.QUEUED
    # What sending needs: the rest of the row stays unread (deferred).
    fields = ["id", "channel", "kind", "to", "subject", "encrypted_content"]
    # Quoted: "to" is a keyword.
    returning = ", ".join(f'"{column[name]}"' for name in fields)
    claim = (
        f"UPDATE {meta.db_table} SET attempts = attempts + 1,"  # noqa: S608
        f" {column['unconfirmed_attempt_at']} = %s,"
        f" {column['in_flight_until']} = CASE WHEN {column['channel']} = %s THEN %s ELSE %s END,"
        f" {column['updated_at']} = %s"
        f" WHERE {column['id']} = %s AND {column['status']} = '{queued}'"
        f" AND {column['unconfirmed_attempt_at']} IS NULL"
        f" AND {column['in_flight_until']} IS NULL"
        f" AND ({column['expires_at']} IS NULL OR {column['expires_at']} > %s)"
        f" RETURNING {returning}"
    )
    sent = (
        f"UPDATE {meta.db_table} SET {column['status']} = '{OutboundMessage.Status.SENT}',"  # noqa: S608
        f" {column['provider_message_id']} = %s, {column['sent_at']} = %s,"
        f" {column['encrypted_content']} = '', {column['error_code']} = '',"
        f" {column['error_message']} = '', {column['unconfirmed_attempt_at']} = NULL,"
        f" {column['in_flight_until']} = NULL, {column['updated_at']} = %s"
        f" WHERE {column['id']} = %s AND {column['status']} = '{queued}'"
    )
    return claim, fields, sent


_CLAIM, _CLAIMED_FIELDS, _SENT = _delivery_statements()


def claim_first_attempt(
    message_id: int, *, now, sms_in_flight_until, email_in_flight_until
) -> OutboundMessage | None:
    """Mark a queued, untouched, unexpired message in flight and read what sending needs, in
    one statement (the row is locked while it runs); None if the message is not such."""
    if settings.STOCK_SQL:
        return _claim_by_orm(message_id, now, sms_in_flight_until, email_in_flight_until)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            [
                adapt(now),
                Channel.SMS,
                adapt(sms_in_flight_until),
                adapt(email_in_flight_until),
                adapt(now),
                message_id,
                adapt(now),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return OutboundMessage.from_db(connection.alias, _CLAIMED_FIELDS, row)


def _claim_by_orm(message_id, now, sms_in_flight_until, email_in_flight_until):
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(
                Q(expires_at__isnull=True) | Q(expires_at__gt=now),
                pk=message_id,
                status=OutboundMessage.Status.QUEUED,
                unconfirmed_attempt_at__isnull=True,
                in_flight_until__isnull=True,
            )
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        message.unconfirmed_attempt_at = message.updated_at = now
        sms = message.channel == Channel.SMS
        message.in_flight_until = sms_in_flight_until if sms else email_in_flight_until
        message.save(
            update_fields=["attempts", "unconfirmed_attempt_at", "in_flight_until", "updated_at"]
        )
    return message


def record_sent(message_id: int, *, provider_id: str, now) -> None:
    """The message left: sent, its content wiped; one still queued only."""
    if settings.STOCK_SQL:
        OutboundMessage.objects.filter(pk=message_id, status=OutboundMessage.Status.QUEUED).update(
            status=OutboundMessage.Status.SENT,
            provider_message_id=provider_id,
            sent_at=now,
            encrypted_content="",
            error_code="",
            error_message="",
            unconfirmed_attempt_at=None,
            in_flight_until=None,
            updated_at=now,
        )
        return
    now = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_SENT, [provider_id, now, now, message_id])
