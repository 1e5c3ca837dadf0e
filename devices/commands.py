"""Commands to a device (Locate, Ring, Lock, Erase) and every rule about them, for every door
that issues one (the device's page, the portal API):

- an erased device takes no more commands;
- a Lock carries a message to show and, optionally, a number to call (`lock_payload`);
- Erase needs a second factor confirmed in the last few minutes (`refusal`);
- the same Idempotency-Key from the same person makes one command;
- Erase is told everywhere the person can be reached;
- a command open past its expiry is Expired wherever it is shown (`progress`), even before the
  clean-up closes it.
"""

import re
from datetime import datetime
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from accounts import outgoing
from accounts.models import SecurityEvent, User
from accounts.rules.reauth import recently_reauthenticated
from accounts.security_log import record_event
from devices.models import Command, Device

Kind = SecurityEvent.Kind
State = Command.State


class CommandRefused(Exception):  # noqa: N818 - reads as a condition
    """The command may not be issued: `reason` is "erased" (the device takes no more
    commands) or "confirm" (Erase needs a freshly confirmed second factor)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadPayload(Exception):  # noqa: N818
    """What the person wrote for a Lock is not usable: `field` and a `message` to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CommandConflict(Exception):  # noqa: N818
    """A result that contradicts the one already reported, or a command no longer open."""


class KeyUsedElsewhere(Exception):  # noqa: N818
    """The Idempotency-Key was used for a different command (device, kind or payload)."""


LOCK_MESSAGE_MAX = 200
# A number to call, as people write it: digits, an optional leading +, spaces and separators.
_CONTACT_NUMBER = re.compile(r"\+?[0-9(][0-9 ()./-]{2,31}")


def lock_payload(message: str, phone: str) -> dict:
    """A Lock's payload from what the person wrote; raises BadPayload naming the field."""
    message, phone = message.strip(), phone.strip()
    if not message:
        raise BadPayload("message", gettext("Write the message to show on the locked screen."))
    if len(message) > LOCK_MESSAGE_MAX:
        raise BadPayload("message", gettext("The message can have at most 200 characters."))
    if phone and not (_CONTACT_NUMBER.fullmatch(phone) and sum(c.isdigit() for c in phone) >= 3):
        raise BadPayload(
            "phone", gettext("Enter the contact number in digits (a leading + is fine).")
        )
    return {"message": message, "phone": phone}


def refusal(*, device: Device, kind: str, request: HttpRequest | None) -> str:
    """Why this command may not be issued now ("erased", "confirm"), or "" when it may."""
    if device.is_erased:
        return "erased"
    if kind == Command.Kind.ERASE and not (
        request is not None and recently_reauthenticated(request, second_factor=True)
    ):
        return "confirm"
    return ""


@transaction.atomic
def issue_command(
    *,
    device: Device,
    by: User,
    kind: str,
    payload: dict,
    idempotency_key: str = "",
    request: HttpRequest | None = None,
) -> tuple[Command, bool]:
    """Queue a command for the device. Raises CommandRefused (see `refusal`) and, for a Lock,
    BadPayload. The same Idempotency-Key from the same person returns the first command instead
    of a second one, if it asked for the same thing (else KeyUsedElsewhere). Returns
    (command, created)."""
    reason = refusal(device=device, kind=kind, request=request)
    if reason:
        raise CommandRefused(reason)
    if kind == Command.Kind.LOCK:
        payload = lock_payload(payload.get("message", ""), payload.get("phone", ""))
    else:
        payload = {}
    if idempotency_key:
        existing = Command.objects.filter(requested_by=by, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _repeated(existing, device=device, kind=kind, payload=payload), False
    lifetime = Command.LIFETIME.get(Command.Kind(kind))
    try:
        with transaction.atomic():
            command = Command.objects.create(
                device=device,
                kind=kind,
                payload=payload,
                requested_by=by,
                idempotency_key=idempotency_key,
                expires_at=timezone.now() + lifetime if lifetime else None,
            )
    except IntegrityError:  # the same key, a moment ago, from a parallel request
        existing = Command.objects.get(requested_by=by, idempotency_key=idempotency_key)
        return _repeated(existing, device=device, kind=kind, payload=payload), False
    Device.objects.filter(pk=device.pk).update(open_commands=F("open_commands") + 1)
    _log_command(command, request)
    if kind == Command.Kind.ERASE:
        outgoing.send_security_notice(
            user=device.user,
            notice="device_erase",
            context={"device": device.name, "when": timezone.now()},
            everywhere=True,
        )
    return command, True


def _repeated(command: Command, *, device: Device, kind: str, payload: dict) -> Command:
    if (command.device_id, command.kind, command.payload) != (device.pk, kind, payload):
        raise KeyUsedElsewhere
    return command


def _log_command(command: Command, request: HttpRequest | None = None) -> None:
    record_event(
        user=command.device.user,
        kind=Kind.DEVICE_COMMAND,
        request=request,
        device=command.device.name,
        command=Command.Kind(command.kind).label,
        state=Command.State(command.state).label,
    )


def _close(command: Command, state: str, *, detail: str = "") -> None:
    """Move an open command to a final state, keeping the device's open count true."""
    now = timezone.now()
    updated = Command.objects.filter(pk=command.pk, state__in=Command.OPEN).update(
        state=state, finished_at=now, result_detail=detail[:500]
    )
    if updated:
        Device.objects.filter(pk=command.device_id, open_commands__gt=0).update(
            open_commands=F("open_commands") - 1
        )
        command.state, command.finished_at, command.result_detail = state, now, detail[:500]


@transaction.atomic
def cancel_command(*, command: Command, request: HttpRequest | None = None) -> None:
    if command.state != State.PENDING:
        raise CommandConflict
    _close(command, State.CANCELLED)
    _log_command(command, request)


def open_commands_for(device: Device) -> list[Command]:
    """What the device should do now. Costs no query when nothing is open."""
    if not device.open_commands:
        return []
    expire_commands(device=device)
    return list(
        Command.objects.filter(device=device, state__in=Command.OPEN).order_by("created_at")
    )


@transaction.atomic
def acknowledge(*, device: Device, command_id) -> Command:
    """The device has the command. Repeating it changes nothing."""
    command = (
        Command.objects.select_for_update()
        .select_related("device__user")
        .get(device=device, public_id=command_id)
    )
    if command.state == State.PENDING:
        command.state = State.DELIVERED
        command.delivered_at = timezone.now()
        command.save(update_fields=["state", "delivered_at"])
        _log_command(command)
    return command


@transaction.atomic
def report_result(*, device: Device, command_id, succeeded: bool, detail: str = "") -> Command:
    """The device carried the command out (or could not). The same report again is harmless;
    a different one, or one for a cancelled or expired command, is a conflict."""
    command = (
        Command.objects.select_for_update()
        .select_related("device__user")
        .get(device=device, public_id=command_id)
    )
    state = State.SUCCEEDED if succeeded else State.FAILED
    if command.state == state:
        return command
    if not command.is_open:
        raise CommandConflict
    if command.delivered_at is None:
        command.delivered_at = timezone.now()
        command.save(update_fields=["delivered_at"])
    _close(command, state, detail=detail)
    if succeeded and command.kind == Command.Kind.ERASE:
        Device.objects.filter(pk=device.pk).update(erased_at=timezone.now())
    _log_command(command)
    return command


class Progress(NamedTuple):
    """Where a command stands as its owner sees it, and since when."""

    state: str
    since: datetime


def progress(command: Command, *, now: datetime | None = None) -> Progress:
    """The command's state as the device page and the portal API show it, and the time it got
    there: Pending since it was sent, Delivered since the device fetched it, Succeeded, Failed or
    Cancelled since it was closed. One still open past its expiry is Expired since it expired,
    never Pending: `expire_commands` closes it only when the device or the clean-up next looks."""
    if command.expires_at is not None and (
        command.state == State.EXPIRED
        or (command.is_open and command.expires_at <= (now or timezone.now()))
    ):
        return Progress(State.EXPIRED, command.expires_at)
    if command.state == State.PENDING:
        return Progress(State.PENDING, command.created_at)
    if command.state == State.DELIVERED:
        return Progress(State.DELIVERED, command.delivered_at or command.created_at)
    return Progress(command.state, command.finished_at or command.created_at)


def expire_commands(*, device: Device | None = None, now=None) -> int:
    """Close locate and ring commands nobody picked up in time."""
    stale = Command.objects.filter(
        state__in=Command.OPEN, expires_at__isnull=False, expires_at__lte=now or timezone.now()
    ).select_related("device__user")
    if device is not None:
        stale = stale.filter(device=device)
    count = 0
    for command in stale:
        with transaction.atomic():
            _close(command, State.EXPIRED)
            _log_command(command)
        count += 1
    return count
