"""Forgot password: a code to a phone or email (the account's own or a recovery contact),
then a new password. The answers never tell whether the phone or email has an account."""

from allauth.usersessions.models import UserSession
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts import outgoing
from accounts.models import SecurityEvent, User
from accounts.rules.failed_passwords import clear_failed_sign_ins
from accounts.security_log import record_event
from accounts.signals import signed_out_everywhere
from verification.actions.codes import use_code
from verification.models import Channel, VerificationCode

RESET = VerificationCode.Purpose.PASSWORD_RESET


def accounts_reached_at(*, channel: str, destination: str) -> list[User]:
    """Accounts whose phone or email, or recovery phone or email, is `destination`."""
    if channel == Channel.SMS:
        match = Q(phone=destination) | Q(recovery_phone=destination)
    else:
        match = Q(email__iexact=destination) | Q(recovery_email__iexact=destination)
    return list(User.objects.filter(match, is_active=True).order_by("date_joined")[:10])


def send_reset_code(
    *, channel: str, destination: str, client_ip: str, previous_id: int | None, language: str
) -> VerificationCode:
    """Issue a code whether or not an account is reached there (the cooldown and budgets
    behave the same); send it only where an account is, in the account's language (the page's,
    `language`, when the account has none set)."""

    return outgoing.send_verification_code(
        purpose=RESET,
        template="password_reset_code",
        channel=channel,
        destination=destination,
        client_ip=client_ip,
        language=language,
        previous_id=previous_id,
        account_there=lambda: next(
            (
                user.language
                for user in accounts_reached_at(channel=channel, destination=destination)
            ),
            None,
        ),
    )


def prove_reset_code(*, destination: str, code_id: int | None, code: str) -> None:
    """Raises CodeError; counts a wrong try."""
    use_code(code_id=code_id, purpose=RESET, destination=destination, code=code)


@transaction.atomic
def reset_password(
    request: HttpRequest, *, user: User, password: str, sign_out_devices: bool = False
) -> None:
    """Set the new password, end every session of the account, unlock sign-in, log it and
    tell the person. With `sign_out_devices`, phones and tablets are signed out too (their
    tokens end); else they stay signed in, so a lost one can still be found."""
    user.set_password(password)
    user.must_reset_password = False
    user.save(update_fields=["password", "must_reset_password"])
    clear_failed_sign_ins(user)
    for session in UserSession.objects.filter(user=user):
        session.end()
    # Every app of the ecosystem lets go; phones and tablets only when asked (so a lost one
    # can still be found).
    signed_out_everywhere.send(sender=User, user=user, phones_too=sign_out_devices)
    record_event(user=user, kind=SecurityEvent.Kind.PASSWORD_RESET, request=request)
    outgoing.send_security_notice(
        user=user,
        notice="password_reset",
        context={"when": timezone.now()},
    )
