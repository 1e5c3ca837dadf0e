"""Codes: issued as 6 digits from `secrets`, kept only as a keyed hash bound to the purpose
and destination, valid 10 minutes, single use, void after 5 wrong tries."""

import math
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from config import crypto
from verification import limits
from verification.models import VerificationCode

# Why a code was not accepted, as the person reads it.
CODE_ERRORS = {
    "wrong": gettext_lazy("That code isn't right. Check the message and try again."),
    "void": gettext_lazy("That code was entered wrong too many times. Send a new code."),
    "expired": gettext_lazy("That code has expired. Send a new code."),
    "used": gettext_lazy("That code was already used. Send a new code."),
    "missing": gettext_lazy("Send a code first, then enter it here."),
}


class CodeError(Exception):
    """A code was not accepted. `reason` is one of: wrong, expired, void, used, missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(CODE_ERRORS[self.reason])


class ResendTooSoon(Exception):  # noqa: N818 - reads as a condition, like Django's Http404
    def __init__(self, seconds_left: int) -> None:
        super().__init__(seconds_left)
        self.seconds_left = seconds_left


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


@transaction.atomic
def issue_code(
    *, purpose: str, channel: str, destination: str, previous_id: int | None = None
) -> tuple[VerificationCode, str]:
    """Create a code, or replace the code of `previous_id` (a resend) when that record is for
    the same destination and still usable: a resend keeps the failure count. A used or void
    record is not revived; a new one starts.

    Refused inside the cooldown after any code to this destination, whoever asked for it, so
    a new browser session does not skip it.
    """
    if limits.too_many_wrong_codes(f"{purpose}|{destination}"):
        raise limits.TooManyWrongCodes
    now = timezone.now()
    cooldown = timedelta(seconds=settings.VERIFICATION_RESEND_COOLDOWN)
    last_sent = (
        VerificationCode.objects.filter(purpose=purpose, destination=destination)
        .order_by("-last_sent_at")
        .values_list("last_sent_at", flat=True)
        .first()
    )
    if last_sent is not None and now < last_sent + cooldown:
        raise ResendTooSoon(seconds_left=math.ceil((last_sent + cooldown - now).total_seconds()))
    record = None
    if previous_id is not None:
        record = (
            VerificationCode.objects.select_for_update()
            .filter(
                pk=previous_id,
                purpose=purpose,
                destination=destination,
                used_at=None,
                failed_attempts__lt=settings.VERIFICATION_CODE_MAX_ATTEMPTS,
            )
            .first()
        )
    if record is None:
        record = VerificationCode.objects.create(
            purpose=purpose, channel=channel, destination=destination, code_hash="", expires_at=now
        )
    code = _new_code()
    record.code_hash = crypto.hash_code(
        code_id=record.pk, purpose=purpose, destination=destination, code=code
    )
    record.send_count += 1
    record.last_sent_at = now
    record.expires_at = now + timedelta(seconds=settings.VERIFICATION_CODE_TTL)
    record.save()
    return record, code


@contextmanager
def blocks_recorded(*, ip: str | None) -> Iterator[None]:
    """A send the SMS fraud guard refuses inside is kept for staff (BlockedSend) once the
    refused send's transaction is over, and the refusal goes on to the caller."""
    try:
        yield
    except limits.SmsBlocked as error:
        limits.record_block(error, ip=ip or None)
        raise


def charge_send(*, ip: str, destination: str, account: str = "") -> None:
    """Count one send against the send budgets (per IP, per destination, per account; for SMS
    the fraud guard); raises SendLimitReached (SmsBlocked from the guard) when one is spent."""
    if not limits.allow_send(ip=ip, destination=destination, account=account):
        raise limits.SendLimitReached


def send_code(
    *,
    purpose: str,
    channel: str,
    destination: str,
    client_ip: str,
    deliver: Callable[[VerificationCode, str], None],
    previous_id: int | None = None,
    account: str = "",
) -> VerificationCode:
    """Issue a code (or resend `previous_id`'s), count it against the send budgets, and hand
    it to `deliver(record, code)`, which queues the message: one transaction, so a refused send
    leaves nothing behind. Every code of the portal is sent through here. Raises ResendTooSoon
    inside the cooldown and SendLimitReached (SmsBlocked, TooManyWrongCodes) over a budget."""
    with blocks_recorded(ip=client_ip), transaction.atomic():
        record, code = issue_code(
            purpose=purpose, channel=channel, destination=destination, previous_id=previous_id
        )
        charge_send(ip=client_ip, destination=destination, account=account)
        deliver(record, code)
    return record


def use_code(
    *, code_id: int | None, purpose: str, destination: str, code: str, spend: bool = True
) -> VerificationCode:
    """Accept `code` once for this purpose and destination, or raise CodeError.

    Each wrong try counts (and is committed even though the caller sees an error); the fifth
    voids the code. With `spend=False` a right code is only checked, not used up: a form whose
    other fields are wrong tells of the code in the same answer, and the code still works when
    the rest is fixed.
    """
    with transaction.atomic():
        record, reason = _try_code(
            code_id=code_id, purpose=purpose, destination=destination, code=code, spend=spend
        )
    if reason:
        raise CodeError(reason)
    assert record is not None
    return record


def _try_code(
    *, code_id: int | None, purpose: str, destination: str, code: str, spend: bool = True
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
    if not crypto.code_matches(
        code_hash=record.code_hash,
        code_id=record.pk,
        purpose=purpose,
        destination=destination,
        code=code,
    ):
        limits.count_wrong_code(f"{purpose}|{destination}")
        record.failed_attempts += 1
        record.save(update_fields=["failed_attempts"])
        if record.failed_attempts >= settings.VERIFICATION_CODE_MAX_ATTEMPTS:
            return record, "void"
        return record, "wrong"
    if spend:
        record.used_at = timezone.now()
        record.save(update_fields=["used_at"])
    return record, ""


def purge_expired_codes(*, now=None) -> int:
    """Delete codes (and so pending sign-ups) past their expiry; return how many."""
    now = now or timezone.now()
    deleted, _ = VerificationCode.objects.filter(expires_at__lt=now).delete()
    return deleted


# --- Messages ------------------------------------------------------------------------------------
