"""Cloud sync actions: switches, storage reports and deletion requests. The settings' ETag
lives in the cache too, so a device asking "anything new?" costs no database read."""

import hashlib
import json

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import SecurityEvent, User
from accounts.security_log import record_event
from cloud.models import (
    ON_AT_FIRST,
    Category,
    CloudAccount,
    DeletionRequest,
    DeviceSyncState,
    StorageUse,
    SyncSwitch,
)
from devices.models import Device

# How a switch changed, as the security log says it.
SYNC_STATES = {
    "on": gettext_lazy("on"),
    "off": gettext_lazy("off"),
    "off_delete": gettext_lazy("off, delete stored data"),
}


def cloud_account(user: User) -> CloudAccount:
    account, _ = CloudAccount.objects.get_or_create(user=user)
    return account


def switches(user: User) -> dict[str, bool]:
    """Every category with its state, in the order of Category."""
    stored = dict(SyncSwitch.objects.filter(user=user).values_list("category", "enabled"))
    return {
        category.value: stored.get(category.value, category in ON_AT_FIRST) for category in Category
    }


@transaction.atomic
def change_switches(
    *,
    user: User,
    changes: dict[str, bool],
    delete: set[str] | frozenset[str] = frozenset(),
    request: HttpRequest | None = None,
) -> dict[str, bool]:
    """Switch categories on or off; for categories switched off and named in `delete`, ask the
    devices to delete what they stored. Each change is logged. Returns the new switches."""
    current = switches(user)
    account = CloudAccount.objects.select_for_update().get_or_create(user=user)[0]
    changed = False
    for category, enabled in changes.items():
        if current[category] == enabled:
            continue
        changed = True
        SyncSwitch.objects.update_or_create(
            user=user,
            category=category,
            defaults={"enabled": enabled, "updated_at": timezone.now()},
        )
        wipe = not enabled and category in delete
        if wipe:
            DeletionRequest.objects.create(user=user, category=category)
        record_event(
            user=user,
            kind=SecurityEvent.Kind.CLOUD_SYNC,
            request=request,
            category=Category(category).label,
            state=SYNC_STATES["on" if enabled else "off_delete" if wipe else "off"],
        )
    if changed:
        CloudAccount.objects.filter(pk=account.pk).update(
            settings_version=F("settings_version") + 1
        )
        transaction.on_commit(lambda: cache.delete(_etag_key(user.pk)))
    return switches(user)


# --- What devices read ---------------------------------------------------------------------------
def _etag_key(user_id: int) -> str:
    return f"cloud:sync-etag:{user_id}"


def device_view(user: User) -> dict:
    account = cloud_account(user)
    pending = DeletionRequest.objects.filter(user=user, confirmed_at=None).order_by("requested_at")
    return {
        "version": account.settings_version,
        "categories": switches(user),
        "deletion_requests": [
            {"id": item.pk, "category": item.category, "requested_at": item.requested_at}
            for item in pending
        ],
    }


def etag_for(body: dict) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def cached_etag(user_id: int) -> str | None:
    return cache.get(_etag_key(user_id))


def remember_etag(user_id: int, etag: str) -> None:
    cache.set(_etag_key(user_id), etag, timeout=24 * 60 * 60)


def pending_deletions(user: User) -> set[str]:
    return set(
        DeletionRequest.objects.filter(user=user, confirmed_at=None).values_list(
            "category", flat=True
        )
    )


def record_applied(*, device: Device, version: int) -> None:
    DeviceSyncState.objects.update_or_create(
        device=device, defaults={"applied_version": version, "applied_at": timezone.now()}
    )


# --- Storage -------------------------------------------------------------------------------------
@transaction.atomic
def report_usage(*, device: Device, usage: dict[str, int]) -> bool:
    """Store what the device keeps per category; True when the account is now over quota (the
    report is kept all the same, flagged)."""
    now = timezone.now()
    for category, bytes_used in usage.items():
        StorageUse.objects.update_or_create(
            device=device,
            category=category,
            defaults={"bytes_used": bytes_used, "reported_at": now, "over_quota": False},
        )
    over = used_bytes(device.user) > cloud_account(device.user).quota
    if over:
        StorageUse.objects.filter(device=device, category__in=usage).update(over_quota=True)
    return over


def used_by_category(user: User) -> dict[str, int]:
    totals = dict(
        StorageUse.objects.filter(device__user=user)
        .values_list("category")
        .annotate(total=Sum("bytes_used"))
        .values_list("category", "total")
    )
    return {category.value: int(totals.get(category.value) or 0) for category in Category}


def used_bytes(user: User) -> int:
    return sum(used_by_category(user).values())


@transaction.atomic
def confirm_deletion(*, device: Device, request_id: int) -> DeletionRequest:
    """A device deleted a category's data: its usage is zero on every device of the account."""
    item = DeletionRequest.objects.select_for_update().get(pk=request_id, user=device.user)
    if item.confirmed_at is None:
        item.confirmed_at = timezone.now()
        item.save(update_fields=["confirmed_at"])
        StorageUse.objects.filter(device__user=device.user, category=item.category).update(
            bytes_used=0, over_quota=False, reported_at=item.confirmed_at
        )
        transaction.on_commit(lambda: cache.delete(_etag_key(device.user_id)))
    return item
