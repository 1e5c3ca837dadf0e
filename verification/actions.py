"""Issuing and checking codes, queueing messages, and delivering them.

Every SMS and email of the portal leaves through `queue_message`: the text is rendered now (in
the request), stored encrypted, and a Celery task delivers it once the transaction commits.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from verification import crypto
from verification.backends import PermanentDeliveryError, TransientDeliveryError
from verification.backends.email import send_email
from verification.backends.sms import get_sms_backend
from verification.models import Channel, OutboundMessage, VerificationCode

logger = logging.getLogger(__name__)

MASK = "••••••"


# --- Codes ---------------------------------------------------------------------------------------
class CodeError(Exception):
    """A code was not accepted. `reason` is one of: wrong, expired, void, used, missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ResendTooSoon(Exception):  # noqa: N818 - reads as a condition, like Django's Http404
    seconds_left: int


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


@transaction.atomic
def issue_code(
    *, purpose: str, channel: str, destination: str, previous_id: int | None = None
) -> tuple[VerificationCode, str]:
    """Create a code, or replace the code of `previous_id` when it is for the same destination.

    A replacement keeps the failure count, and is refused inside the resend cooldown.
    """
    now = timezone.now()
    record = None
    if previous_id is not None:
        record = (
            VerificationCode.objects.select_for_update()
            .filter(pk=previous_id, purpose=purpose, destination=destination, used_at=None)
            .first()
        )
    if record is not None:
        ready_at = record.last_sent_at + timedelta(seconds=settings.VERIFICATION_RESEND_COOLDOWN)
        if now < ready_at:
            raise ResendTooSoon(seconds_left=max(1, int((ready_at - now).total_seconds() + 0.999)))
    else:
        record = VerificationCode(
            purpose=purpose, channel=channel, destination=destination, code_hash="", created_at=now
        )
        record.expires_at = now
        record.save()
    code = _new_code()
    record.code_hash = crypto.hash_code(
        code_id=record.pk, purpose=purpose, destination=destination, code=code
    )
    record.send_count += 1
    record.last_sent_at = now
    record.expires_at = now + timedelta(seconds=settings.VERIFICATION_CODE_TTL)
    record.save()
    return record, code


def use_code(*, code_id: int | None, purpose: str, destination: str, code: str) -> VerificationCode:
    """Accept `code` once for this purpose and destination, or raise CodeError.

    Each wrong try counts (and is committed even though the caller sees an error); the fifth
    voids the code.
    """
    with transaction.atomic():
        record, reason = _try_code(
            code_id=code_id, purpose=purpose, destination=destination, code=code
        )
    if reason:
        raise CodeError(reason)
    return record


def _try_code(
    *, code_id: int | None, purpose: str, destination: str, code: str
) -> tuple[VerificationCode | None, str]:
    record = None
    if code_id is not None:
        record = (
            VerificationCode.objects.select_for_update()
            .filter(pk=code_id, purpose=purpose, destination=destination)
            .first()
        )
    if record is None:
        return None, "missing"
    if record.used_at is not None:
        return record, "used"
    if record.failed_attempts >= settings.VERIFICATION_CODE_MAX_ATTEMPTS:
        return record, "void"
    if timezone.now() >= record.expires_at:
        return record, "expired"
    expected = crypto.hash_code(
        code_id=record.pk, purpose=purpose, destination=destination, code=code
    )
    if not secrets.compare_digest(expected, record.code_hash):
        record.failed_attempts += 1
        record.save(update_fields=["failed_attempts"])
        if record.failed_attempts >= settings.VERIFICATION_CODE_MAX_ATTEMPTS:
            return record, "void"
        return record, "wrong"
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    return record, ""


def purge_expired_codes(*, now=None) -> int:
    """Delete codes (and so pending sign-ups) past their expiry; return how many."""
    now = now or timezone.now()
    deleted, _ = VerificationCode.objects.filter(expires_at__lt=now).delete()
    return deleted


# --- Messages ------------------------------------------------------------------------------------
def _render(template: str, part: str, context: dict, *, required: bool = True) -> str:
    try:
        return render_to_string(f"{template}_{part}", context).strip()
    except TemplateDoesNotExist:
        if required:
            raise
        return ""


def queue_message(
    *,
    channel: str,
    to: str,
    template: str,
    context: dict | None = None,
    secrets_: dict | None = None,
) -> OutboundMessage:
    """Render and queue one message; deliver it after the surrounding transaction commits.

    `template` names `templates/<template>_{subject.txt,body.txt,body.html}`; `secrets_` are
    context values (codes) that only the encrypted copy carries: the preview shows them masked.
    """
    context = dict(context or {})
    secret_context = context | (secrets_ or {})
    masked_context = context | {key: MASK for key in (secrets_ or {})}
    body = _render(template, "body.txt", secret_context)
    html = ""
    subject = ""
    if channel == Channel.EMAIL:
        subject = _render(template, "subject.txt", secret_context)
        html = _render(template, "body.html", secret_context, required=False)
    message = OutboundMessage(
        channel=channel,
        kind=template.rsplit("/", 1)[-1],
        to=to,
        subject=subject,
        preview=_render(template, "body.txt", masked_context),
    )
    message.set_content(body=body, html=html)
    message.save()
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def queue_rendered_email(
    *, to: str, kind: str, subject: str, body: str, html: str
) -> OutboundMessage:
    """Queue an email rendered elsewhere (allauth's mails). Its preview shows only the subject."""
    message = OutboundMessage(
        channel=Channel.EMAIL, kind=kind, to=to, subject=subject, preview=f"[{kind}] {subject}"
    )
    message.set_content(body=body, html=html)
    message.save()
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int) -> None:
    from verification.tasks import deliver_message_task

    try:
        deliver_message_task.delay(message_id)
    except Exception:
        # The broker is down: the row stays queued and `requeue_stuck_messages` sends it later.
        logger.exception("could not enqueue message %s; it stays queued", message_id)


def requeue_stuck_messages(*, older_than: timedelta = timedelta(minutes=30)) -> int:
    """Enqueue again the messages still queued long after their task should have run."""
    stuck = OutboundMessage.objects.filter(
        status=OutboundMessage.Status.QUEUED, updated_at__lt=timezone.now() - older_than
    ).values_list("pk", flat=True)[:500]
    ids = list(stuck)
    for message_id in ids:
        _enqueue(message_id)
    return len(ids)


def deliver_message(*, message_id: int) -> None:
    """Send one queued message once. Safe to run twice: a message that left is not sent again.

    Raises TransientDeliveryError for the task to retry; records permanent failures.
    """
    transient: TransientDeliveryError | None = None
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboundMessage.Status.QUEUED:
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
    message.error_code = getattr(error, "code", "")[:32]
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
def record_provider_status(*, provider_message_id: str, status: str, error_code: str = "") -> bool:
    """Apply a provider's status report; return False when no message matches."""
    message = (
        OutboundMessage.objects.select_for_update()
        .filter(provider_message_id=provider_message_id)
        .first()
    )
    new_status = _TWILIO_STATES.get(status)
    if message is None or new_status is None:
        return message is not None
    if message.status in _FINAL or message.status == new_status:
        return True
    message.status = new_status
    if new_status == OutboundMessage.Status.DELIVERED:
        message.delivered_at = timezone.now()
    if new_status == OutboundMessage.Status.FAILED:
        message.error_code = error_code[:32]
        message.error_message = f"provider reported {status}"
    message.save()
    return True
