"""Messages the accounts app sends, one function each; all leave through verification.

Each is written in an explicit language: a security notice in the account's own language
(`User.language`), a code in the language of the page that asked for it (`language`), which
for a sign-up is the only one known.
"""

from datetime import datetime

from django.conf import settings

from accounts.languages import language_of
from verification.actions.messages import queue_message
from verification.models import Channel


def send_signup_code(
    *, channel: str, destination: str, code: str, expires_at: datetime, language: str
) -> None:
    queue_message(
        channel=channel,
        to=destination,
        template="accounts/messages/signup_code",
        language=language,
        context={"minutes": settings.VERIFICATION_CODE_TTL // 60},
        secrets_={"code": code},
        expires_at=expires_at,
    )


def send_account_exists_notice(*, channel: str, destination: str, language: str) -> None:
    """Someone tried to sign up with a number or address that already has an account."""
    queue_message(
        channel=channel,
        to=destination,
        template="accounts/messages/account_exists",
        language=language,
    )


def send_sms_code(*, phone: str, code: str, language: str) -> None:
    """A code allauth asked us to text (phone verification and changes)."""
    queue_message(
        channel=Channel.SMS,
        to=phone,
        template="accounts/messages/phone_code",
        language=language,
        secrets_={"code": code},
    )


def send_unknown_account_notice(*, phone: str, language: str) -> None:
    queue_message(
        channel=Channel.SMS,
        to=phone,
        template="accounts/messages/unknown_account",
        language=language,
    )


# --- Security notices ----------------------------------------------------------------------------
def notice_destinations(user) -> list[tuple[str, str]]:
    """Where the account's security notices go: its own phone (SMS) and email, as it has them,
    so a change made by someone else always reaches the owner's sign-in contacts. An account
    with no email of its own also hears at its recovery email (email costs nothing); a
    recovery phone hears only when the account has neither phone nor email."""
    destinations: list[tuple[str, str]] = []
    if user.phone:
        destinations.append((Channel.SMS, str(user.phone)))
    if user.email or user.recovery_email:
        destinations.append((Channel.EMAIL, user.email or user.recovery_email))
    if not destinations and user.recovery_phone:
        destinations.append((Channel.SMS, str(user.recovery_phone)))
    return destinations


def every_contact(user) -> list[tuple[str, str]]:
    """Everywhere the person can be reached: email and recovery email, phone and recovery
    phone."""
    emails = [(str(Channel.EMAIL), email) for email in (user.email, user.recovery_email) if email]
    phones = [
        (str(Channel.SMS), str(phone)) for phone in (user.phone, user.recovery_phone) if phone
    ]
    return emails + phones


def send_security_notice(
    *,
    user,
    notice: str,
    context: dict | None = None,
    also_to: tuple[tuple[str, str], ...] = (),
    everywhere: bool = False,
) -> None:
    """Tell the person about a sensitive change or a new sign-in. `also_to` adds contacts that
    must hear of it too (the old recovery contact when it is replaced); `everywhere` sends it to
    every contact the account has (an erased device). It is written in the account's language;
    lazy strings in `context` are translated into it too."""
    more = [*also_to, *(every_contact(user) if everywhere else [])]
    destinations = list(dict.fromkeys([*notice_destinations(user), *more]))
    for channel, destination in destinations:
        queue_message(
            channel=channel,
            to=destination,
            template=f"accounts/messages/notice_{notice}",
            language=language_of(user),
            context={"account_id": user.account_id, **(context or {})},
        )


def send_password_reset_code(
    *, channel: str, destination: str, code: str, expires_at, language: str
) -> None:
    queue_message(
        channel=channel,
        to=destination,
        template="accounts/messages/password_reset_code",
        language=language,
        context={"minutes": settings.VERIFICATION_CODE_TTL // 60},
        secrets_={"code": code},
        expires_at=expires_at,
    )


def send_contact_code(
    *, channel: str, destination: str, code: str, expires_at, language: str
) -> None:
    """The code that proves a new recovery phone or email, or re-authenticates by SMS."""
    queue_message(
        channel=channel,
        to=destination,
        template="accounts/messages/contact_code",
        language=language,
        context={"minutes": settings.VERIFICATION_CODE_TTL // 60},
        secrets_={"code": code},
        expires_at=expires_at,
    )


def send_second_factor_code(
    *, phone: str, code: str, expires_at, minutes: int, purpose: str, language: str
) -> None:
    """A two-factor code by SMS: to sign in, or to confirm (or set up) a change."""
    queue_message(
        channel=Channel.SMS,
        to=phone,
        template="accounts/messages/second_factor_code"
        if purpose == "sign_in"
        else "accounts/messages/second_factor_confirm",
        language=language,
        context={"minutes": minutes},
        secrets_={"code": code},
        expires_at=expires_at,
    )
