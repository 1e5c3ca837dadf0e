"""When each device was last seen, written in batches.

A phone polls for commands every few minutes and the poll with nothing pending costs one query
(the device row): noting the time must not add another round trip to every poll. Where the
cache is Redis, `note_seen` hands the time to `seen_times`, which this process writes to Redis
by one `HSET` a second, and `write_last_seen` (celery beat, every minute) copies them to the
device rows. Without Redis, the row is updated at once.
"""

import atexit
import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from redis.exceptions import RedisError

from devices.models import Device

logger = logging.getLogger(__name__)
LAST_SEEN_PRECISION = timedelta(seconds=60)


def note_seen(device: Device) -> None:
    """Mark the device as seen, at most once a minute."""
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
    to a dict, and a thread of the process writes what has gathered every `every` seconds. A
    process that stops ends by writing them (atexit); one killed loses at most that second of
    times, which the device's next request notes again. While Redis is away, the times go to
    the device rows."""

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
