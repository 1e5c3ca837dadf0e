"""The Find Device statements written out by hand, each where the ORM's building of it cost
more than the database's answer on one of the portal's busiest paths (measured in
bench/README.md). Table and column names come from the models; every value is a parameter.
With `STOCK_PARTS=sql` (settings.STOCK_SQL, for the bench to measure them) the ORM makes them
instead, to the same effect (`device_by_token_hash` here, a batch in devices/locations.py).
Why they stay: they win on the empty command poll and the location report against the ORM
(bench/README.md, "Home-made parts against Django's")."""

from collections.abc import Callable
from functools import cache, partial

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from config.writes import Statement
from devices.models import Device, Location


# --- The device a token belongs to ---------------------------------------------------------------
@cache
def _device_for_token_sql(hashes: int) -> str:
    """For `hashes` hashes of the token: one per key (config/crypto.py)."""
    device, user = Device._meta, User._meta
    columns = ", ".join(f"d.{field.column}" for field in device.concrete_fields)
    match = "= %s" if hashes == 1 else f"IN ({', '.join(['%s'] * hashes)})"
    return (
        f"SELECT {columns} FROM {device.db_table} d"  # noqa: S608 - names from the models
        f" JOIN {user.db_table} u ON u.{user.pk.column} = d.user_id"
        f" WHERE d.token_hash {match} AND d.token_revoked_at IS NULL AND u.is_active"
    )


_FIELD_NAMES = [field.attname for field in Device._meta.concrete_fields]


def device_by_token_hash(hashes: list[str]) -> Device | None:
    """The device row of a live token of an active account, made into a Device directly: the
    ORM's query building, and a raw query set's reading of its columns, cost several times what
    PostgreSQL takes to answer."""
    if settings.STOCK_SQL:
        return Device.objects.filter(
            token_hash__in=hashes, token_revoked_at__isnull=True, user__is_active=True
        ).first()
    with connection.cursor() as cursor:
        cursor.execute(_device_for_token_sql(len(hashes)), hashes)
        row = cursor.fetchone()
    if row is None:
        return None
    for index, convert in _converters(connection.vendor):
        row = (*row[:index], convert(row[index]), *row[index + 1 :])
    return Device.from_db(connection.alias, _FIELD_NAMES, row)


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


# --- A batch of locations ------------------------------------------------------------------------
_COLUMN = {field.name: field.column for field in Device._meta.concrete_fields}

# The device's newest place, with the condition in the statement: of two batches at once, the
# newer fix wins.
NEWEST_PLACE = (
    f"UPDATE {Device._meta.db_table} SET {_COLUMN['last_latitude']} = %s,"  # noqa: S608 - names from the model
    f" {_COLUMN['last_longitude']} = %s, {_COLUMN['last_accuracy']} = %s,"
    f" {_COLUMN['last_battery']} = %s, {_COLUMN['last_located_at']} = %s,"
    f" {_COLUMN['last_seen_at']} = %s WHERE {Device._meta.pk.column} = %s"
    f" AND ({_COLUMN['last_located_at']} IS NULL OR {_COLUMN['last_located_at']} < %s)"
)

_COLUMNS = "device_id, latitude, longitude, accuracy, battery, taken_at, received_at"
# A batch as five arrays: the statement and its number of parameters are the same for 1 fix
# or 500 (psycopg converts a statement of more than 50 parameters afresh at every call).
_LOCATIONS_FROM_ARRAYS = (
    f"INSERT INTO {Location._meta.db_table} ({_COLUMNS})"  # noqa: S608 - names from the model
    " SELECT %s, f.lat, f.lon, f.accuracy, f.battery, f.taken_at, %s FROM unnest("
    "%s::float8[], %s::float8[], %s::float8[], %s::int[], %s::timestamptz[]"
    ") AS f(lat, lon, accuracy, battery, taken_at) ON CONFLICT DO NOTHING"
)


def location_inserts(device: Device, fixes: list, chunk: int = 100) -> list[Statement]:
    """INSERT ... ON CONFLICT DO NOTHING of the fixes (objects with latitude, longitude,
    accuracy, battery and taken_at): on PostgreSQL one statement of arrays; elsewhere rows of
    VALUES, `chunk` rows a statement."""
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
