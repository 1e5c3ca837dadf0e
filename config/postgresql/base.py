"""Django's PostgreSQL backend, with health checks only for connections that have been idle.

With `CONN_HEALTH_CHECKS`, Django sends `SELECT 1` before the first query of every request: a
whole round trip, on requests that need only one (a phone's command poll). A connection that
answered a moment ago is as good a proof as `SELECT 1`, so the check is kept for a connection
idle for `HEALTH_CHECK_AFTER` seconds or more (the kind a restart or failover most likely broke).
A connection that breaks while in use fails that request (a 503, config/errors.py) and Django
closes it at the request's end, as it does with the check.

Why it stays: it wins on the empty command poll against Django's (bench/README.md, "Home-made
parts against Django's").
"""

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_AFTER = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _last_used = float("-inf")

    def close_if_health_check_failed(self) -> None:
        if time.monotonic() - self._last_used < HEALTH_CHECK_AFTER:
            self.health_check_done = True
        super().close_if_health_check_failed()

    def _cursor(self, name=None):
        cursor = super()._cursor(name)  # type: ignore[misc]
        self._last_used = time.monotonic()
        return cursor
