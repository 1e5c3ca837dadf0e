"""Delivering one queued message, once, and recording what became of it.

A send is claimed in one transaction, made outside any transaction, and recorded in another.
Between the two the message is in flight. A worker that dies there, or a send whose answer never
came (a timeout, a dropped connection), leaves an attempt whose outcome is unknown; the next
attempt first asks the provider whether the message went out (`find_sent`) and sends only if it
did not. With late acknowledgement of tasks, that makes delivery exactly-once where the provider
can be asked (Twilio, the dev outbox) and at-least-once where it cannot (SMTP).
"""

import logging
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verification import queries
from verification.backends import PermanentDeliveryError, TransientDeliveryError
from verification.backends.email import find_sent_email, send_email
from verification.backends.sms import get_sms_backend
from verification.models import Channel, OutboundMessage

logger = logging.getLogger(__name__)


class AttemptInFlight(Exception):  # noqa: N818 - reads as a condition
    """Another attempt at this message may still be talking to the provider: try again once
    its time is up (`retry_in` seconds)."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"an attempt is in flight for {retry_in:.0f} s more")
        self.retry_in = retry_in


def deliver_message(*, message_id: int) -> None:
    """Send one queued message once. Safe to run twice, and after a crash mid-send.

    Raises TransientDeliveryError for the task to retry, AttemptInFlight when another attempt
    may still be under way; records permanent failures.
    """
    message = _claim(message_id)
    if message is None:
        return
    try:
        provider_id = _send(message)
    except PermanentDeliveryError as exc:
        _finish(message_id, failure=exc)
    except TransientDeliveryError as exc:
        _finish(message_id, transient=exc)
        logger.warning("message %s: transient failure (%s), will retry", message_id, exc.code)
        raise
    else:
        _finish(message_id, provider_id=provider_id)


def _claim(message_id: int) -> OutboundMessage | None:
    """The message, marked in flight, when this attempt is to send it; None when there is
    nothing to send (gone, no longer queued, found sent, expired)."""
    return _claim_first_attempt(message_id) or _claim_locked(message_id)


def _claim_first_attempt(message_id: int) -> OutboundMessage | None:
    """A queued message no attempt has touched and that has not expired, marked in flight by
    one statement (the row is locked for as long as it runs, so two workers cannot both claim
    it). Anything else (gone, sent, in flight, an attempt of unknown outcome, expired) is left
    to `_claim_locked`, which says what to do about it.

    Every message goes through here, so the statement is written out (verification.queries)."""
    now = timezone.now()
    return queries.claim_first_attempt(
        message_id,
        now=now,
        sms_in_flight_until=now + _in_flight_window(Channel.SMS),
        email_in_flight_until=now + _in_flight_window(Channel.EMAIL),
    )


def _claim_locked(message_id: int) -> OutboundMessage | None:
    now = timezone.now()
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboundMessage.Status.QUEUED:
            return None
        if message.in_flight_until is not None and message.in_flight_until > now:
            raise AttemptInFlight((message.in_flight_until - now).total_seconds())
        if message.unconfirmed_attempt_at is not None:
            provider_id = _find_sent(message)
            if provider_id:
                logger.info("message %s: an earlier attempt went out; not sent again", message.pk)
                _record_sent(message, provider_id)
                return None
        if message.expires_at is not None and now >= message.expires_at:
            _record_failure(
                message, PermanentDeliveryError("expired before it could be sent", code="expired")
            )
            return None
        message.attempts += 1
        message.unconfirmed_attempt_at = now
        message.in_flight_until = now + _in_flight_window(message.channel)
        message.save(
            update_fields=["attempts", "unconfirmed_attempt_at", "in_flight_until", "updated_at"]
        )
    return message


def _finish(
    message_id: int,
    *,
    provider_id: str = "",
    failure: PermanentDeliveryError | None = None,
    transient: TransientDeliveryError | None = None,
) -> None:
    if failure is None and transient is None:
        _record_sent_by_id(message_id, provider_id)
        return
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status != OutboundMessage.Status.QUEUED:
            return
        if failure is not None:
            _record_failure(message, failure)
        elif transient is not None:
            message.in_flight_until = None
            if not transient.outcome_unknown:
                message.unconfirmed_attempt_at = None
            message.error_code = transient.code
            message.error_message = str(transient)[:500]
            message.save()
        else:
            _record_sent(message, provider_id)


def schedule_retry(*, message_id: int, countdown: float) -> bool:
    """Note when the next attempt is due; False when it would come after the code expires
    (a code that cannot arrive in time is not worth sending)."""
    due = timezone.now() + timedelta(seconds=countdown)
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboundMessage.Status.QUEUED:
            return True  # nothing to give up on; the retry will find nothing to do
        if message.expires_at is not None and due >= message.expires_at:
            return False
        message.next_attempt_at = due
        message.save(update_fields=["next_attempt_at", "updated_at"])
    return True


def give_up_delivery(*, message_id: int, error: Exception) -> None:
    """Record that retries are exhausted: the message failed, and says why (unless an attempt
    whose answer never came turns out to have gone through)."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboundMessage.Status.QUEUED:
            return
        if message.unconfirmed_attempt_at is not None:
            try:
                provider_id = _find_sent(message)
            except Exception:  # the lookup is a last courtesy; failing it records the failure
                logger.warning("message %s: could not look up its last attempt", message.pk)
                provider_id = None
            if provider_id:
                _record_sent(message, provider_id)
                return
        _record_failure(message, error)


def _record_sent(message: OutboundMessage, provider_id: str) -> None:
    message.status = OutboundMessage.Status.SENT
    message.provider_message_id = provider_id[:64]
    message.sent_at = timezone.now()
    message.encrypted_content = ""
    message.error_code = message.error_message = ""
    message.unconfirmed_attempt_at = message.in_flight_until = None
    message.save()


def _record_sent_by_id(message_id: int, provider_id: str) -> None:
    """What `_record_sent` does, in one statement, to a message still queued (one that a
    slower attempt already recorded is left as it is)."""
    queries.record_sent(message_id, provider_id=provider_id[:64], now=timezone.now())


def _record_failure(message: OutboundMessage, error: Exception) -> None:
    message.status = OutboundMessage.Status.FAILED
    message.error_code = str(getattr(error, "code", "") or type(error).__name__)[:32]
    message.error_message = str(error)[:500]
    message.encrypted_content = ""
    message.unconfirmed_attempt_at = message.in_flight_until = None
    message.save()
    logger.warning("message %s (%s) failed: %s", message.pk, message.kind, message.error_code)


def _in_flight_window(channel: str) -> timedelta:
    """How long an attempt may take before it is presumed dead: the provider's timeout and
    a margin."""
    if channel == Channel.SMS:
        timeout = settings.TWILIO_TIMEOUT
    else:
        options = cast(dict[str, Any], settings.MAILERS["default"].get("OPTIONS") or {})
        timeout = options.get("timeout") or 10
    return timedelta(seconds=timeout + settings.MESSAGE_IN_FLIGHT_MARGIN)


def _send(message: OutboundMessage) -> str:
    content = message.content()
    if message.channel == Channel.SMS:
        return get_sms_backend().send(to=message.to, body=content["body"])
    return send_email(
        to=message.to,
        subject=message.subject,
        body=content["body"],
        html=content["html"],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )


def _find_sent(message: OutboundMessage) -> str | None:
    """The provider's id of this message if an earlier attempt got it out, else None."""
    assert message.unconfirmed_attempt_at is not None
    since = message.unconfirmed_attempt_at - timedelta(minutes=1)
    body = message.content()["body"]
    if message.channel == Channel.SMS:
        return get_sms_backend().find_sent(to=message.to, body=body, since=since)
    return find_sent_email(to=message.to, subject=message.subject, since=since)


# Twilio's message states, and ours. Callbacks arrive out of order: a state never moves back.
_TWILIO_STATES = {
    "accepted": OutboundMessage.Status.SENT,
    "queued": OutboundMessage.Status.SENT,
    "sending": OutboundMessage.Status.SENT,
    "sent": OutboundMessage.Status.SENT,
    "delivered": OutboundMessage.Status.DELIVERED,
    "undelivered": OutboundMessage.Status.FAILED,
    "failed": OutboundMessage.Status.FAILED,
}
_FINAL = {OutboundMessage.Status.DELIVERED, OutboundMessage.Status.FAILED}


@transaction.atomic
def record_provider_status(*, provider_message_id: str, status: str, error_code: str = "") -> None:
    """Apply a provider's status report (unknown messages and states are ignored)."""
    message = (
        OutboundMessage.objects.select_for_update()
        .filter(provider_message_id=provider_message_id)
        .first()
    )
    new_status = _TWILIO_STATES.get(status)
    if message is None or new_status is None:
        return
    if message.status in _FINAL or message.status == new_status:
        return
    message.status = new_status
    if new_status == OutboundMessage.Status.DELIVERED:
        message.delivered_at = timezone.now()
    if new_status == OutboundMessage.Status.FAILED:
        message.error_code = error_code[:32]
        message.error_message = f"provider reported {status}"
    message.save()
