"""Messages the accounts app sends, one function each; all leave through verification.

Each is written in an explicit language: a security notice in the account's own language
(`User.language`), a code in the language of the page that asked for it (`language`), which
for a sign-up is the only one known. A notice writes its times in the account's time zone
(`User.time_zone`), whoever's request set it off.
"""

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

from accounts import time_zones
from accounts.languages import language_of
from verification.actions.codes import send_code
from verification.actions.messages import queue_message
from verification.models import Channel, VerificationCode


def send_code_message(
    template: str,
    *,
    channel: str,
    destination: str,
    code: str,
    expires_at,
    language: str,
    withhold: bool = False,
) -> None:
    """A verification code (`VERIFICATION_CODE_TTL`, single use) written by
    accounts/messages/`template`; with `withhold`, written and queued but never sent."""
    queue_message(
        channel=channel,
        to=destination,
        template=f"accounts/messages/{template}",
        language=language,
        context={"minutes": settings.VERIFICATION_CODE_TTL // 60},
        secrets_={"code": code},
        expires_at=expires_at,
        withhold=withhold,
    )


def send_verification_code(
    *,
    purpose: str,
    template: str,
    channel: str,
    destination: str,
    client_ip: str,
    language: str,
    previous_id: int | None = None,
    account: str = "",
    account_there: Callable[[], str | None] | None = None,
    instead: Callable[[VerificationCode, str], None] | None = None,
) -> VerificationCode:
    """Send a code of `purpose` by `template`, through verification's `send_code` (cooldown,
    send budgets, one transaction; raises ResendTooSoon and SendLimitReached).

    `account_there()` tells whether an account is reached at the destination: its language
    ("" when it has none set), or None. Without it, the code goes out in `language`. With it,
    where an account is, the message is written in the account's language, and `instead(record,
    account_language)` goes in place of the code when given (sign-up: a notice to the owner);
    where none is, the code goes out in `language` when `instead` is given, and is otherwise
    issued, written and queued alike but withheld (forgot password). The caller's answer is the
    same either way and takes the same work (no enumeration, by content or by time)."""

    def deliver(record: VerificationCode, code: str) -> None:
        there = account_there() if account_there is not None else None
        if there is not None and instead is not None:
            instead(record, there or language)
            return
        send_code_message(
            template,
            channel=channel,
            destination=destination,
            code=code,
            expires_at=record.expires_at,
            language=there or language,
            withhold=account_there is not None and instead is None and there is None,
        )

    return send_code(
        purpose=purpose,
        channel=channel,
        destination=destination,
        client_ip=client_ip,
        previous_id=previous_id,
        account=account,
        deliver=deliver,
    )


def send_contact_code(
    *, user, purpose: str, channel: str, destination: str, client_ip: str, previous_id
) -> VerificationCode:
    """A code to a phone or email of a signed-in person (a new recovery contact; re-authentication
    without a password), in their language, counted against their account's budget too."""
    return send_verification_code(
        purpose=purpose,
        template="contact_code",
        channel=channel,
        destination=destination,
        client_ip=client_ip,
        language=language_of(user),
        previous_id=previous_id,
        account=str(user.pk),
    )


def send_account_exists_notice(
    *, channel: str, destination: str, language: str, expires_at=None
) -> None:
    """Someone tried to sign up with a number or address that already has an account. In place
    of a sign-up code it lives as long as the code would have (`expires_at`)."""
    queue_message(
        channel=channel,
        to=destination,
        template="accounts/messages/account_exists",
        language=language,
        expires_at=expires_at,
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
    every contact the account has (an erased device). It is written in the account's language
    and time zone; lazy strings in `context` are translated into it too, and times in it
    (`when`, `until`) are written in the language's one format."""
    more = [*also_to, *(every_contact(user) if everywhere else [])]
    destinations = list(dict.fromkeys([*notice_destinations(user), *more]))
    with time_zones.override_for(user):
        for channel, destination in destinations:
            queue_message(
                channel=channel,
                to=destination,
                template=f"accounts/messages/notice_{notice}",
                language=language_of(user),
                context={
                    "account_id": user.account_id,
                    "reset_url": wasnt_me_url(),
                    **(context or {}),
                },
            )


def wasnt_me_url() -> str:  # noqa: N802 - reads as the constant it is, built when asked
    """The password reset, opened from a notice of something the person did not do: it offers
    to sign out phones and tablets too, ticked."""
    return f"{settings.PUBLIC_BASE_URL}{reverse('account_reset_password')}?wasnt_me=1"


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
