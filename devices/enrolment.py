"""A device's life on the account: enrolment (and its token), Find Device on or off, signing
it out, removing it."""

import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts import outgoing
from accounts.models import SecurityEvent, User
from accounts.rules.reauth import recently_reauthenticated
from accounts.security_log import client_ip, record_event
from config import crypto
from devices import queries
from devices.models import Device

Kind = SecurityEvent.Kind


class ConfirmationNeeded(Exception):  # noqa: N818 - reads as a condition
    """Removing a device needs the second factor confirmed in the last few minutes."""


class ActivationLocked(Exception):  # noqa: N818 - reads as a condition
    """The hardware was erased while bound to another account and is still bound to it."""


def token_hash(token: str) -> str:
    return crypto.keyed_hash("device-token", token)


def hardware_hash(hardware_id: str) -> str:
    return crypto.keyed_hash("device-hardware", hardware_id)


def hardware_hashes(hardware_id: str) -> list[str]:
    """Under every key, newest first (config/crypto.py): what a lookup accepts."""
    return crypto.keyed_hashes("device-hardware", hardware_id)


@transaction.atomic
def enroll_device(
    *,
    user: User,
    name: str,
    model: str,
    platform: str,
    hardware_id: str,
    request: HttpRequest | None = None,
) -> tuple[Device, str]:
    """Enroll the device, or re-enroll it (the old token stops working). Returns the device and
    its token, which is shown this once and stored only as a hash."""
    hashes = hardware_hashes(hardware_id)
    hashed = hashes[0]
    if (
        Device.objects.filter(hardware_id_hash__in=hashes, erased_at__isnull=False)
        .exclude(user=user)
        .exists()
    ):
        raise ActivationLocked
    if len(hashes) > 1:  # enrolled under an older key: the same device, under the newest now
        Device.objects.filter(user=user, hardware_id_hash__in=hashes[1:]).update(
            hardware_id_hash=hashed
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    device, created = Device.objects.select_for_update().update_or_create(
        user=user,
        hardware_id_hash=hashed,
        defaults={
            "name": name,
            "model": model,
            "platform": platform,
            "token_hash": token_hash(token),
            "token_issued_at": now,
            "token_revoked_at": None,
            "erased_at": None,
            "last_seen_at": now,
        },
    )
    record_event(
        user=user, kind=Kind.DEVICE_ENROLLED, request=request, device=name, model=model or "—"
    )
    if created:
        # A phone new to the account is told like a new browser: it may be someone else's.
        outgoing.send_security_notice(
            user=user,
            notice="device_enrolled",
            context={
                "device": name,
                "model": model or "—",
                "ip": client_ip(request) or "unknown",
                "when": now,
            },
        )
    return device, token


def device_for_token(token: str) -> Device | None:
    """The device a token belongs to, in one indexed query; None if revoked or its account is
    no longer active. Its user is read when first used (every device request starts here)."""
    hashes = crypto.keyed_hashes("device-token", token)
    device = queries.device_by_token_hash(hashes)
    if device is not None and device.token_hash != hashes[0]:
        # Hashed under an older key: stored under the newest from now on.
        Device.objects.filter(pk=device.pk).update(token_hash=hashes[0])
        device.token_hash = hashes[0]
    return device


def revoke_device_tokens(*, user: User) -> int:
    return Device.objects.filter(user=user, token_revoked_at=None).update(
        token_revoked_at=timezone.now()
    )


def sign_out_device(*, device: Device, request: HttpRequest | None = None) -> None:
    Device.objects.filter(pk=device.pk).update(token_revoked_at=timezone.now())
    record_event(user=device.user, kind=Kind.SESSION_ENDED, request=request, browser=device.name)


@transaction.atomic
def set_find_device(*, device: Device, enabled: bool, request: HttpRequest | None = None) -> None:
    if device.find_device_enabled == enabled:
        return
    Device.objects.filter(pk=device.pk).update(find_device_enabled=enabled)
    device.find_device_enabled = enabled
    record_event(
        user=device.user,
        kind=Kind.DEVICE_COMMAND,
        request=request,
        device=device.name,
        command=gettext_lazy("Find Device on") if enabled else gettext_lazy("Find Device off"),
    )


def removal_needs_confirmation(request: HttpRequest | None) -> bool:
    """Whether the person must confirm it's you (with the second factor, when on) before a
    device is removed: removing ends its activation lock."""
    return request is None or not recently_reauthenticated(request, second_factor=True)


@transaction.atomic
def remove_device(*, device: Device, request: HttpRequest | None) -> None:
    """Unbind the device (this ends an activation lock) and delete its locations. Raises
    ConfirmationNeeded unless the second factor was confirmed lately."""
    if removal_needs_confirmation(request):
        raise ConfirmationNeeded
    record_event(user=device.user, kind=Kind.DEVICE_REMOVED, request=request, device=device.name)
    device.delete()
