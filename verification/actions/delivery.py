"""Delivering one queued message, once, and recording what became of it."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verification.backends import PermanentDeliveryError, TransientDeliveryError
from verification.backends.email import send_email
from verification.backends.sms import get_sms_backend
from verification.models import Channel, OutboundMessage

logger = logging.getLogger(__name__)


def deliver_message(*, message_id: int) -> None:
    """Send one queued message once. Safe to run twice: a message that left is not sent again.

    Raises TransientDeliveryError for the task to retry; records permanent failures.
    """
    transient: TransientDeliveryError | None = None
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboundMessage.Status.QUEUED:
            return
        if message.expires_at is not None and timezone.now() >= message.expires_at:
            _record_failure(
                message, PermanentDeliveryError("expired before it could be sent", code="expired")
            )
            return
        message.attempts += 1
        try:
            provider_id = _send(message)
        except PermanentDeliveryError as exc:
            _record_failure(message, exc)
        except TransientDeliveryError as exc:
            message.error_code = exc.code
            message.error_message = str(exc)[:500]
            message.save(update_fields=["attempts", "error_code", "error_message", "updated_at"])
            transient = exc
        else:
            message.status = OutboundMessage.Status.SENT
            message.provider_message_id = provider_id[:64]
            message.sent_at = timezone.now()
            message.encrypted_content = ""
            message.error_code = message.error_message = ""
            message.save()
    if transient is not None:
        logger.warning("message %s: transient failure (%s), will retry", message_id, transient.code)
        raise transient


def give_up_delivery(*, message_id: int, error: Exception) -> None:
    """Record that retries are exhausted: the message failed, and says why."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is not None and message.status == OutboundMessage.Status.QUEUED:
            _record_failure(message, error)


def _record_failure(message: OutboundMessage, error: Exception) -> None:
    message.status = OutboundMessage.Status.FAILED
    message.error_code = str(getattr(error, "code", "") or type(error).__name__)[:32]
    message.error_message = str(error)[:500]
    message.encrypted_content = ""
    message.save()
    logger.warning("message %s (%s) failed: %s", message.pk, message.kind, message.error_code)


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
