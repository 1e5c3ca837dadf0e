"""Where a device has been: batches of fixes from the phone, and the retention of the
history."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.writes import write_with_async_commit
from devices import queries
from devices.last_seen import note_seen
from devices.models import Device, Location


class FindDeviceOff(Exception):  # noqa: N818 - reads as a condition
    """The device turned Find Device off: it keeps no locations."""


@dataclass(frozen=True)
class Fix:
    latitude: float
    longitude: float
    accuracy: float
    battery: int | None
    taken_at: datetime


def record_locations(*, device: Device, fixes: list[Fix]) -> int:
    """Store a batch; a fix already stored (same instant) is ignored. Returns how many.

    The fixes and the device's newest place are written by one transaction that does not wait
    for the disk (config/writes.py): a device sends again a batch whose answer it did not get,
    and the fixes stored the first time are then ignored."""
    if not device.find_device_enabled:
        raise FindDeviceOff
    rows = list({fix.taken_at: fix for fix in fixes}.values())
    if settings.STOCK_SQL:
        return _record_by_orm(device, rows)
    statements = queries.location_inserts(device, rows)
    newest = max(fixes, key=lambda fix: fix.taken_at)
    if device.last_located_at is not None and device.last_located_at >= newest.taken_at:
        write_with_async_commit(statements)
        note_seen(device)
        return len(rows)
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    newest_at = adapt(newest.taken_at)
    place = [newest.latitude, newest.longitude, newest.accuracy, newest.battery, newest_at]
    statements.append((queries.NEWEST_PLACE, [*place, adapt(now), device.pk, newest_at]))
    write_with_async_commit(statements)
    device.last_seen_at = now
    return len(rows)


def _record_by_orm(device: Device, rows: list[Fix]) -> int:
    """`record_locations` by the ORM, in one transaction that waits for the disk (STOCK_PARTS=sql,
    for the bench to measure the written-out statements against)."""
    now = timezone.now()
    newest = max(rows, key=lambda fix: fix.taken_at)
    if device.last_located_at is not None and device.last_located_at >= newest.taken_at:
        _locations_by_orm(device, rows, now)
        note_seen(device)
        return len(rows)
    with transaction.atomic():
        _locations_by_orm(device, rows, now)
        Device.objects.filter(
            Q(last_located_at__isnull=True) | Q(last_located_at__lt=newest.taken_at), pk=device.pk
        ).update(
            last_latitude=newest.latitude,
            last_longitude=newest.longitude,
            last_accuracy=newest.accuracy,
            last_battery=newest.battery,
            last_located_at=newest.taken_at,
            last_seen_at=now,
        )
    device.last_seen_at = now
    return len(rows)


def _locations_by_orm(device: Device, rows: list[Fix], now) -> None:
    Location.objects.bulk_create(
        [
            Location(
                device=device,
                latitude=fix.latitude,
                longitude=fix.longitude,
                accuracy=fix.accuracy,
                battery=fix.battery,
                taken_at=fix.taken_at,
                received_at=now,
            )
            for fix in rows
        ],
        ignore_conflicts=True,
    )


def purge_old_locations(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.LOCATION_RETENTION_DAYS)
    deleted, _ = Location.objects.filter(taken_at__lt=cutoff).delete()
    return deleted
