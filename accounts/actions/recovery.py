"""Recovery phone and recovery email: each proven by a code sent to it before it is stored;
every change is logged and told to the old contact as well as the new."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import outgoing, phones
from accounts.models import SecurityEvent, User
from accounts.rules.second_factor import has_sms_second_factor
from accounts.security_log import record_event
from verification.actions.codes import use_code
from verification.models import Channel, VerificationCode

CONTACT = VerificationCode.Purpose.CONTACT
Kind = SecurityEvent.Kind


class ContactInUse(Exception):  # noqa: N818 - reads as a condition
    """The recovery phone is the only number two-factor codes can go to."""


class SameAsAccount(Exception):  # noqa: N818
    """The contact is the account's own phone or email already."""


# Per channel: the account's field, and the security log's kinds for setting and removing it.
_FIELDS: dict[str, tuple[str, str, str]] = {
    Channel.SMS: ("recovery_phone", Kind.RECOVERY_PHONE_SET, Kind.RECOVERY_PHONE_REMOVED),
    Channel.EMAIL: ("recovery_email", Kind.RECOVERY_EMAIL_SET, Kind.RECOVERY_EMAIL_REMOVED),
}


def current(user: User, channel: str) -> str:
    value = getattr(user, _FIELDS[channel][0])
    return str(value) if value else ""


def masked(channel: str, destination: str) -> str:
    return phones.mask(destination) if channel == Channel.SMS else phones.mask_email(destination)


def send_contact_code(
    *, user: User, channel: str, destination: str, client_ip: str, previous_id: int | None
) -> VerificationCode:
    own = str(user.phone or "") if channel == Channel.SMS else (user.email or "")
    if destination.lower() == own.lower():
        raise SameAsAccount

    return outgoing.send_contact_code(
        user=user,
        purpose=CONTACT,
        channel=channel,
        destination=destination,
        client_ip=client_ip,
        previous_id=previous_id,
    )


def set_recovery_contact(
    request: HttpRequest, *, user: User, channel: str, destination: str, code_id, code: str
) -> None:
    """Store the contact once `code` proves it. Raises CodeError."""
    use_code(code_id=code_id, purpose=CONTACT, destination=destination, code=code)
    with transaction.atomic():
        old = current(user, channel)
        _store(request, user, channel, destination, shown=destination)
        also_to = [(channel, destination)] + ([(channel, old)] if old else [])
        _notify(user, channel, contact=masked(channel, destination), also_to=also_to)


@transaction.atomic
def remove_recovery_contact(request: HttpRequest, *, user: User, channel: str) -> None:
    old = current(user, channel)
    if not old:
        return
    if channel == Channel.SMS and has_sms_second_factor(user) and not user.phone:
        raise ContactInUse
    _store(request, user, channel, None, shown=old)
    _notify(user, channel, contact="", also_to=[(channel, old)])


def _store(request: HttpRequest, user: User, channel: str, value: str | None, *, shown: str):
    """Set (or, with None, remove) the recovery contact and log it; `shown` is the contact the
    log names (masked)."""
    field, set_kind, removed_kind = _FIELDS[channel]
    setattr(user, field, value)
    user.save(update_fields=[field])
    kind = set_kind if value else removed_kind
    record_event(user=user, kind=kind, request=request, contact=masked(channel, shown))


def _notify(user: User, channel: str, *, contact: str, also_to: list[tuple[str, str]]) -> None:
    """`contact` is the new contact, masked, or "" when it was removed."""
    outgoing.send_security_notice(
        user=user,
        notice="recovery_contact",
        context={
            "channel": channel,
            "contact": contact,
            "when": timezone.now(),
        },
        also_to=tuple(also_to),
    )
