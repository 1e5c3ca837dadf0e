"""A real SMTP server's mailbox on loopback (aiosmtpd), the portal's mail pointed at a port,
and an email queued through the portal."""

import email
from email.message import Message

from aiosmtpd.smtp import SMTP

from verification.actions.messages import queue_message
from verification.models import OutboundMessage


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse_with: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


def smtp_at(settings, port: int, timeout: int = 5) -> None:
    """Mail goes through Django's SMTP backend to 127.0.0.1:`port`."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": timeout},
        }
    }


def queue_email(to: str = "asha@example.com") -> OutboundMessage:
    """An email, delivered inline as it is queued (tasks run eagerly here)."""
    message = queue_message(
        channel="email",
        to=to,
        template="accounts/messages/account_exists",
        language="en",
    )
    message.refresh_from_db()
    return message
