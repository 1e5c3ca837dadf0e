"""Sign-up: sending the code, and creating the account once the code is proven."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts import outgoing, time_zones
from accounts.models import Consent, SecurityEvent, User
from verification.actions.codes import CODE_ERRORS, CodeError, use_code
from verification.models import Channel, VerificationCode

SIGNUP = VerificationCode.Purpose.SIGNUP
# What every door that signs people up tells of a refused code (the page, the device API).
__all__ = [
    "CODE_ERRORS",
    "CodeError",
    "DestinationTaken",
    "check_signup_code",
    "create_account",
    "send_signup_code",
]


class DestinationTaken(Exception):  # noqa: N818
    pass


def account_exists(*, channel: str, destination: str) -> bool:
    """Whether the number or address belongs to an account. An address someone merely typed
    into their account without proving it does not count: it must not block its owner."""
    return language_of_account_at(channel=channel, destination=destination) is not None


def language_of_account_at(*, channel: str, destination: str) -> str | None:
    """The language of the account the number or address belongs to ("" when it has none
    set), or None when it belongs to none (see account_exists). One query either way."""
    if channel == Channel.SMS:
        match = Q(phone=destination)
    else:
        match = Q(email__iexact=destination) | Q(
            emailaddress__email__iexact=destination, emailaddress__verified=True
        )
    return User.objects.filter(match).values_list("language", flat=True).first()


def send_signup_code(
    *, channel: str, destination: str, client_ip: str, previous_id: int | None, language: str
) -> VerificationCode:
    """Send a sign-up code to `destination`, or a resend of `previous_id`'s, written in
    `language` (the page's: there is no account yet whose language could be known).

    When the number or address already has an account, its owner gets a notice instead of a
    code, in the account's language, and the caller sees exactly what it would have seen
    otherwise (no enumeration). Raises ResendTooSoon inside the cooldown and SendLimitReached
    over the send budget.
    """

    return outgoing.send_verification_code(
        purpose=SIGNUP,
        template="signup_code",
        channel=channel,
        destination=destination,
        client_ip=client_ip,
        language=language,
        previous_id=previous_id,
        account_there=lambda: language_of_account_at(channel=channel, destination=destination),
        instead=lambda record, account_language: outgoing.send_account_exists_notice(
            channel=channel,
            destination=destination,
            language=account_language,
            expires_at=record.expires_at,
        ),
    )


def check_signup_code(*, destination: str, code_id: int | None, code: str) -> None:
    """Raises CodeError when `code` is not the pending sign-up code (a wrong try counts); a
    right code is not used up (create_account uses it)."""
    use_code(code_id=code_id, purpose=SIGNUP, destination=destination, code=code, spend=False)


def create_account(
    *,
    channel: str,
    destination: str,
    code_id: int | None,
    code: str,
    password: str,
    client_ip: str | None,
    user_agent: str,
    language: str,
    time_zone: str = "",
) -> User:
    """Create the account once `code` proves the destination; it keeps `language` (the one
    it was created in) and `time_zone` (the browser's or phone's IANA name; UTC when missing or
    not one zoneinfo knows). Raises CodeError or DestinationTaken; on any error nothing is
    created (except the counted wrong try)."""
    use_code(code_id=code_id, purpose=SIGNUP, destination=destination, code=code)
    try:
        with transaction.atomic():
            if account_exists(channel=channel, destination=destination):
                raise DestinationTaken
            user = User.objects.create_user(
                phone=destination if channel == Channel.SMS else None,
                email=destination if channel == Channel.EMAIL else None,
                password=password,
                language=language,
                time_zone=time_zones.valid(time_zone) or time_zones.DEFAULT,
            )
            if channel == Channel.EMAIL:
                # The owner proved the address: unproven claims to it by others lapse.
                EmailAddress.objects.filter(email__iexact=destination, verified=False).delete()
                EmailAddress.objects.create(
                    user=user, email=destination, verified=True, primary=True
                )
            SecurityEvent.objects.create(
                user=user,
                kind=SecurityEvent.Kind.SIGNED_UP,
                ip_address=client_ip,
                user_agent=user_agent[:300],
            )
            Consent.objects.create(
                user=user,
                terms_version=settings.TERMS_VERSION,
                privacy_version=settings.PRIVACY_VERSION,
                ip_address=client_ip,
                user_agent=user_agent[:300],
            )
    except IntegrityError:
        # The same number, address or account ID was taken a moment ago by a parallel sign-up.
        raise DestinationTaken from None
    return user
