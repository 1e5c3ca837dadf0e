"""Email: Django's mailers do the sending; this module adds the dev outbox and error triage."""

import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import DNS_NAME, EmailMultiAlternatives, make_msgid
from django.core.mail.backends.base import BaseEmailBackend

from verification.backends import PermanentDeliveryError, TransientDeliveryError
from verification.models import Channel, DevOutboxMessage


def send_email(*, to: str, subject: str, body: str, html: str, from_email: str) -> str:
    message_id = make_msgid(domain=DNS_NAME)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email,
        to=[to],
        headers={"Message-ID": message_id},
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send(using="default")
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        if all(code >= 500 for code in codes):
            raise PermanentDeliveryError(
                f"recipient refused: {sorted(codes)}", code=str(min(codes))
            ) from exc
        raise TransientDeliveryError(
            f"recipient deferred: {sorted(codes)}", code=str(min(codes))
        ) from exc
    except smtplib.SMTPResponseException as exc:
        error = PermanentDeliveryError if exc.smtp_code >= 500 else TransientDeliveryError
        raise error(f"SMTP {exc.smtp_code}", code=str(exc.smtp_code)) from exc
    except ConnectionRefusedError as exc:
        raise TransientDeliveryError("SMTP connection: ConnectionRefusedError") from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        # Dropped or timed out: the server may or may not have taken the message.
        raise TransientDeliveryError(
            f"SMTP connection: {type(exc).__name__}", outcome_unknown=True
        ) from exc
    return message_id


def find_sent_email(*, to: str, subject: str, since: datetime) -> str | None:
    """SMTP cannot be asked what it took: only the dev outbox can tell (None otherwise, and an
    email whose attempt was cut short is sent again)."""
    if settings.MAILERS["default"]["BACKEND"] != "verification.backends.email.OutboxEmailBackend":
        return None
    entry = DevOutboxMessage.objects.filter(
        channel=Channel.EMAIL, to=to, subject=subject, created_at__gte=since
    ).first()
    return f"outbox-{entry.pk}" if entry else None


class OutboxEmailBackend(BaseEmailBackend):
    """A mail backend that keeps each message for /dev/outbox/ (development only)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            html = ""
            for alternative in getattr(message, "alternatives", []):
                if alternative.mimetype == "text/html":
                    html = str(alternative.content)
            DevOutboxMessage.objects.create(
                channel=Channel.EMAIL,
                to=", ".join(message.to),
                subject=message.subject,
                body=message.body,
                html=html,
            )
        return len(email_messages)
