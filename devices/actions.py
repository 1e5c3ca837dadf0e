"""Find Device: enrolling devices, their locations, and the commands sent to them."""

import atexit
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, partial

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from redis.exceptions import RedisError

from accounts import messages
from accounts.models import SecurityEvent, User
from accounts.security_log import record_event
from accounts.writes import Statement, write_lazily
from devices.models import Command, Device, Location
from verification import crypto
from verification.models import Channel

logger = logging.getLogger(__name__)
Kind = SecurityEvent.Kind
State = Command.State
LAST_SEEN_PRECISION = timedelta(seconds=60)


class ActivationLocked(Exception):  # noqa: N818 - reads as a condition
    """The hardware was erased while bound to another account and is still bound to it."""


class CommandConflict(Exception):  # noqa: N818
    """A result that contradicts the one already reported, or a command no longer open."""


class KeyUsedElsewhere(Exception):  # noqa: N818
    """The Idempotency-Key was used for a different command (device, kind or payload)."""


class FindDeviceOff(Exception):  # noqa: N818
    pass


def token_hash(token: str) -> str:
    return crypto.keyed_hash("device-token", token)


def hardware_hash(hardware_id: str) -> str:
    return crypto.keyed_hash("device-hardware", hardware_id)


# --- Enrollment ----------------------------------------------------------------------------------
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
    hashed = hardware_hash(hardware_id)
    if (
        Device.objects.filter(hardware_id_hash=hashed, erased_at__isnull=False)
        .exclude(user=user)
        .exists()
    ):
        raise ActivationLocked
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
    return device, token


def device_for_token(token: str) -> Device | None:
    """The device a token belongs to, in one indexed query; None if revoked or its account is
    no longer active. Its user is read when first used.

    Every device request starts here, so the query is written out and its row made into a
    Device directly: the ORM's query building, and a raw query set's reading of its columns,
    cost several times what PostgreSQL takes to answer (bench/README.md)."""
    with connection.cursor() as cursor:
        cursor.execute(_DEVICE_FOR_TOKEN, [token_hash(token)])
        row = cursor.fetchone()
    if row is None:
        return None
    for index, convert in _converters(connection.vendor):
        row = (*row[:index], convert(row[index]), *row[index + 1 :])
    return Device.from_db(connection.alias, _FIELD_NAMES, row)


def _device_for_token_sql() -> str:
    device, user = Device._meta, User._meta
    columns = ", ".join(f"d.{field.column}" for field in device.concrete_fields)
    # Table and column names come from the models; the token is a parameter.
    return (
        f"SELECT {columns} FROM {device.db_table} d"  # noqa: S608
        f" JOIN {user.db_table} u ON u.{user.pk.column} = d.user_id"
        " WHERE d.token_hash = %s AND d.token_revoked_at IS NULL AND u.is_active"
    )


_DEVICE_FOR_TOKEN = _device_for_token_sql()
_FIELD_NAMES = [field.attname for field in Device._meta.concrete_fields]


@cache
def _converters(vendor: str) -> list[tuple[int, Callable]]:
    """What the ORM would do to each column the database hands back (SQLite's dates arrive as
    text, for one); PostgreSQL needs nothing for a device."""
    steps: list[tuple[int, Callable]] = []
    for index, field in enumerate(Device._meta.concrete_fields):
        column = field.get_col(Device._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            steps.append((index, partial(_apply, found, column)))
    return steps


def _apply(converters: list, column, value):
    for convert in converters:
        value = convert(value, column, connection)
    return value


def note_seen(device: Device) -> None:
    """Mark the device as seen, at most once a minute. Where the cache is Redis, the time is
    noted in this process (`seen_times`), which writes it to Redis within a second, and
    `write_last_seen` (beat, every minute) copies it to the device rows: a poll with nothing
    pending stays at its one query and makes no other round trip. Without Redis, the row is
    updated here."""
    now = timezone.now()
    if device.last_seen_at is not None and now - device.last_seen_at <= LAST_SEEN_PRECISION:
        return
    device.last_seen_at = now
    if isinstance(caches["default"], RedisCache):
        seen_times.add(device.pk, now.timestamp())
        return
    Device.objects.filter(pk=device.pk).update(last_seen_at=now)


class SeenTimes:
    """The last-seen times this process noted, on their way to Redis: a request adds its time
    to a dict, and a thread of the process writes what has gathered by one `HSET` every
    `every` seconds (a poll saved a round trip to Redis: 0.16-0.22 of its 0.76-1.0 ms of CPU,
    bench/README.md). A process that stops ends by writing them (atexit); one killed loses at
    most that second of times, which the device's next request notes again. While Redis is
    away, the times go to the device rows."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._reset()
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self._flush_at_exit)

    def _reset(self) -> None:
        self._lock = threading.Lock()  # the dict
        self._writing = threading.Lock()  # one write at a time: `flush` returns once written
        self._times: dict[int, float] = {}
        self._thread: threading.Thread | None = None

    def add(self, pk: int, at: float) -> None:
        with self._lock:
            self._times[pk] = at
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="last-seen", daemon=True)
                self._thread.start()

    def discard(self) -> None:
        """Forget what has not been written, once a write under way is done (tests start
        from nothing)."""
        with self._writing, self._lock:
            self._times = {}

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the process is ending; say so and end
            logger.warning("last-seen times not written at exit", exc_info=True)

    def _run(self) -> None:
        while True:
            time.sleep(self.every)
            try:
                self.flush()
            except Exception:  # the next second tries again (`flush` kept the times)
                logger.exception("last-seen times not written")
            finally:
                connection.close()  # the fallback's, if it opened one (this thread's own)

    def flush(self) -> int:
        """Write what has gathered; returns how many devices."""
        with self._writing:
            with self._lock:
                times, self._times = self._times, {}
            if not times:
                return 0
            try:
                self._write(times)
            except Exception:
                with self._lock:  # kept for the next try, unless a later time came meanwhile
                    for pk, at in times.items():
                        self._times[pk] = max(at, self._times.get(pk, at))
                raise
            return len(times)

    @staticmethod
    def _write(times: dict[int, float]) -> None:
        store = _seen_store()
        if store is not None:
            client, key = store
            try:
                client.hset(key, mapping={str(pk): at for pk, at in times.items()})
                return
            except RedisError as error:
                logger.warning("last-seen times written to the database, not Redis (%s)", error)
        _write_seen({pk: datetime.fromtimestamp(at, UTC) for pk, at in times.items()})


seen_times = SeenTimes()


def write_last_seen() -> int:
    """Copy the last-seen times noted in Redis to the device rows (a time never goes back).
    The times being copied sit under a key of their own until written, so a copy cut short is
    finished by the next one; times noted meanwhile wait for the next run, so a run does a
    bounded amount of work however busy the polls are. Returns how many devices were updated."""
    store = _seen_store()
    if store is None:
        return 0
    client, key = store
    writing = key + ":writing"
    updated = _copy_seen(client, writing)  # what a run cut short left
    if client.exists(key) and client.renamenx(key, writing):
        updated += _copy_seen(client, writing)
    return updated


def _copy_seen(client, writing: str) -> int:
    seen = client.hgetall(writing)
    if not seen:
        return 0
    times = {int(pk): datetime.fromtimestamp(float(at), UTC) for pk, at in seen.items()}
    updated = _write_seen(times)
    client.delete(writing)
    return updated


def _write_seen(times: dict[int, datetime], chunk: int = 500) -> int:
    devices = []
    for pk, at in times.items():
        device = Device(pk=pk)
        # The newer of the two: a location report may have written a later time meanwhile.
        device.last_seen_at = Greatest(Coalesce(F("last_seen_at"), Value(at)), Value(at))  # type: ignore[assignment]
        devices.append(device)
    return Device.objects.bulk_update(devices, ["last_seen_at"], batch_size=chunk)


def _seen_store():
    """The Redis client behind the cache and the key of the noted times (a hash with a field
    per device, so never more than one entry per device); None where the cache is not Redis."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    return cache._cache.get_client(write=True), cache.make_key("devices:last-seen")  # type: ignore[attr-defined]


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


@transaction.atomic
def remove_device(*, device: Device, request: HttpRequest | None = None) -> None:
    """Unbind the device (this ends an activation lock) and delete its locations."""
    record_event(user=device.user, kind=Kind.DEVICE_REMOVED, request=request, device=device.name)
    device.delete()


# --- Locations -----------------------------------------------------------------------------------
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
    for the disk (accounts/writes.py): a device sends again a batch whose answer it did not
    get, and the fixes stored the first time are then ignored."""
    if not device.find_device_enabled:
        raise FindDeviceOff
    rows = list({fix.taken_at: fix for fix in fixes}.values())
    statements = _location_inserts(device, rows)
    newest = max(fixes, key=lambda fix: fix.taken_at)
    if device.last_located_at is not None and device.last_located_at >= newest.taken_at:
        write_lazily(statements)
        note_seen(device)
        return len(rows)
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    newest_at = adapt(newest.taken_at)
    place = [newest.latitude, newest.longitude, newest.accuracy, newest.battery, newest_at]
    statements.append((_NEWEST_PLACE, [*place, adapt(now), device.pk, newest_at]))
    write_lazily(statements)
    device.last_seen_at = now
    return len(rows)


_COLUMN = {field.name: field.column for field in Device._meta.concrete_fields}

# The device's newest place, with the condition in the statement: of two batches at once, the
# newer fix wins.
_NEWEST_PLACE = (
    f"UPDATE {Device._meta.db_table} SET {_COLUMN['last_latitude']} = %s,"  # noqa: S608 - names from the model
    f" {_COLUMN['last_longitude']} = %s, {_COLUMN['last_accuracy']} = %s,"
    f" {_COLUMN['last_battery']} = %s, {_COLUMN['last_located_at']} = %s,"
    f" {_COLUMN['last_seen_at']} = %s WHERE {Device._meta.pk.column} = %s"
    f" AND ({_COLUMN['last_located_at']} IS NULL OR {_COLUMN['last_located_at']} < %s)"
)


_COLUMNS = "device_id, latitude, longitude, accuracy, battery, taken_at, received_at"
# A batch as five arrays: the statement and its number of parameters are the same for 1 fix
# or 500. (psycopg converts a statement of more than 50 parameters afresh at every call: 10
# fixes as rows of VALUES took 0.60-0.63 ms to build and send, as arrays 0.36-0.41 ms,
# bench/README.md.)
_LOCATIONS_FROM_ARRAYS = (
    f"INSERT INTO {Location._meta.db_table} ({_COLUMNS})"  # noqa: S608 - names from the model
    " SELECT %s, f.lat, f.lon, f.accuracy, f.battery, f.taken_at, %s FROM unnest("
    "%s::float8[], %s::float8[], %s::float8[], %s::int[], %s::timestamptz[]"
    ") AS f(lat, lon, accuracy, battery, taken_at) ON CONFLICT DO NOTHING"
)


def _location_inserts(device: Device, fixes: list[Fix], chunk: int = 100) -> list[Statement]:
    """INSERT ... ON CONFLICT DO NOTHING, written out: on the busiest write of the portal the
    ORM's bulk_create cost more than the statement itself (bench/README.md). On PostgreSQL,
    one statement of arrays; elsewhere rows of VALUES, `chunk` rows a statement."""
    adapt = connection.ops.adapt_datetimefield_value
    received_at = adapt(timezone.now())
    if connection.vendor == "postgresql":
        arrays = [
            [fix.latitude for fix in fixes],
            [fix.longitude for fix in fixes],
            [fix.accuracy for fix in fixes],
            [fix.battery for fix in fixes],
            [fix.taken_at for fix in fixes],
        ]
        return [(_LOCATIONS_FROM_ARRAYS, [device.pk, received_at, *arrays])]
    statements: list[Statement] = []
    for start in range(0, len(fixes), chunk):
        part = fixes[start : start + chunk]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(part))
        params: list = []
        for fix in part:
            params += [
                device.pk,
                fix.latitude,
                fix.longitude,
                fix.accuracy,
                fix.battery,
                adapt(fix.taken_at),
                received_at,
            ]
        statements.append(
            (
                f"INSERT INTO {Location._meta.db_table} ({_COLUMNS})"  # noqa: S608 - names from the model
                f" VALUES {values} ON CONFLICT DO NOTHING",
                params,
            )
        )
    return statements


def purge_old_locations(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.LOCATION_RETENTION_DAYS)
    deleted, _ = Location.objects.filter(taken_at__lt=cutoff).delete()
    return deleted


# --- Commands ------------------------------------------------------------------------------------
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


LOCK_MESSAGE_MAX = 200
# A number to call, as people write it: digits, an optional leading +, spaces and separators.
_CONTACT_NUMBER = re.compile(r"\+?[0-9(][0-9 ()./-]{2,31}")


def lock_problem(message: str, phone: str) -> tuple[str, str] | None:
    """What is wrong with a Lock's message or contact number, as (field, message); None if
    nothing is."""
    if not message:
        return "message", gettext("Write the message to show on the locked screen.")
    if len(message) > LOCK_MESSAGE_MAX:
        return "message", gettext("The message can have at most 200 characters.")
    if phone and not (_CONTACT_NUMBER.fullmatch(phone) and sum(c.isdigit() for c in phone) >= 3):
        return "phone", gettext("Enter the contact number in digits (a leading + is fine).")
    return None


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
    """Queue a command for the device. The same Idempotency-Key from the same person returns
    the first command instead of a second one, if it asked for the same thing (else
    KeyUsedElsewhere). Returns (command, created)."""
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
        _send_erase_notice(device)
    return command, True


def _repeated(command: Command, *, device: Device, kind: str, payload: dict) -> Command:
    if (command.device_id, command.kind, command.payload) != (device.pk, kind, payload):
        raise KeyUsedElsewhere
    return command


def _send_erase_notice(device: Device) -> None:
    """Erase is told everywhere the person can be reached, by email and by SMS."""
    user = device.user
    also = [(Channel.EMAIL, email) for email in {user.email, user.recovery_email} if email]
    also += [(Channel.SMS, str(phone)) for phone in {user.phone, user.recovery_phone} if phone]
    messages.send_security_notice(
        user=user,
        notice="device_erase",
        context={
            "device": device.name,
            "when": timezone.now(),
        },
        also_to=tuple(also),
    )


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


def expire_commands(*, device: Device | None = None, now: datetime | None = None) -> int:
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
