"""Messages the accounts app sends, one function each; all leave through verification."""

from datetime import datetime

from django.conf import settings

from verification.actions.messages import queue_message
from verification.models import Channel


def send_signup_code(*, channel: str, destination: str, code: str, expires_at: datetime) -> None:
    queue_message(
        channel=channel,
        to=destination,
        template="accounts/messages/signup_code",
        context={"minutes": settings.VERIFICATION_CODE_TTL // 60},
        secrets_={"code": code},
        expires_at=expires_at,
    )


def send_account_exists_notice(*, channel: str, destination: str) -> None:
    """Someone tried to sign up with a number or address that already has an account."""
    queue_message(channel=channel, to=destination, template="accounts/messages/account_exists")


def send_sms_code(*, phone: str, code: str) -> None:
    """A code allauth asked us to text (phone verification and changes)."""
    queue_message(
        channel=Channel.SMS,
        to=phone,
        template="accounts/messages/phone_code",
        secrets_={"code": code},
    )


def send_unknown_account_notice(*, phone: str) -> None:
    queue_message(channel=Channel.SMS, to=phone, template="accounts/messages/unknown_account")
