"""Django's database sessions, written once per request.

Django's `create()` (on every sign-in, through `cycle_key`) checks that a new key is free with
a SELECT, inserts the session in a transaction of its own, and the session middleware then
updates the same row at the end of the request: five round trips for one row. Here a new
session gets its key at once and is inserted, once, when the middleware saves it; a key that is
somehow taken (32 random characters: it never happens) makes that save pick another. Outside a
transaction a save is one statement, without Django's BEGIN and COMMIT around it.

A stored session whose key is cycled (on sign-in, after the second step's state was kept in
it) is not deleted and inserted again: its row takes the new key and data by one UPDATE when
the session is saved. The old key stops working then, at the end of the request; until then
it still names the session as it was before the sign-in (signed out).

Why it stays: it wins on sign-in, the account page and the security log against Django's
(bench/README.md, "Home-made parts against Django's").
"""

from contextlib import nullcontext

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils.crypto import get_random_string


class SessionStore(db.SessionStore):
    _unsaved = False
    _replaces: str | None = None  # the stored key whose row this session takes over
    _session_cache: dict

    def cycle_key(self) -> None:
        data = self._session  # type: ignore[attr-defined]
        key = self.session_key
        stored = key is not None and not self._unsaved
        self.create()
        self._session_cache = data
        if stored and self._replaces is None:
            self._replaces = key

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def create(self) -> None:
        self._session_key = self._get_new_session_key()
        self._unsaved = True
        self.modified = True
        if not hasattr(self, "_session_cache"):
            # Nothing to load for a key that was never stored.
            self._session_cache = {}

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        if not self._unsaved:
            self._write(must_create)
            return
        if self._replaces is not None:
            replaced = self._take_over(self._replaces)
            self._replaces = None
            if replaced:
                self._unsaved = False
                return
        while True:
            try:
                self._write(must_create=True)
            except CreateError:
                self._session_key = self._get_new_session_key()
                continue
            self._unsaved = False
            return

    def _take_over(self, old_key: str) -> bool:
        """The old key's row, given this session's key, data and expiry; False if it is gone."""
        obj = self.create_model_instance(self._get_session(no_load=True))  # type: ignore[attr-defined]
        connection = connections[router.db_for_write(self.model, instance=obj)]
        expires = connection.ops.adapt_datetimefield_value(obj.expire_date)
        while True:
            try:
                with (
                    transaction.atomic(using=connection.alias, savepoint=True)
                    if connection.in_atomic_block
                    else nullcontext(),
                    connection.cursor() as cursor,
                ):
                    cursor.execute(
                        f"UPDATE {self.model._meta.db_table} SET session_key = %s,"  # noqa: S608
                        " session_data = %s, expire_date = %s WHERE session_key = %s",
                        [self._session_key, obj.session_data, expires, old_key],
                    )
                    return cursor.rowcount == 1
            except IntegrityError:
                self._session_key = obj.session_key = self._get_new_session_key()

    def _write(self, must_create: bool) -> None:
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        try:
            if connections[using].in_atomic_block:
                with transaction.atomic(using=using):
                    obj.save(force_insert=must_create, force_update=not must_create, using=using)
            else:
                obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise

    def delete(self, session_key: str | None = None) -> None:
        # One DELETE (Django's reads the row first).
        if session_key is None and self._replaces is not None:
            # Ended before it was saved: the row it would have taken over goes too.
            self.delete(self._replaces)
            self._replaces = None
        key = self.session_key if session_key is None else session_key
        if key is not None:
            self.model.objects.filter(session_key=key)._raw_delete(router.db_for_write(self.model))

    def exists(self, session_key: str) -> bool:
        if session_key == self._session_key and self._unsaved:
            return True
        return super().exists(session_key)
