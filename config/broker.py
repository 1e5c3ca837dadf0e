"""A guard around kombu's Redis transport, so a worker survives Redis going away.

When the broker connection drops while the worker holds tasks (sends waiting to be retried,
sends in flight), Celery closes the connection and kombu's Redis channel tries to put the
unacknowledged tasks back in Redis through the connection being closed; its client is gone
by then and kombu raises AttributeError ("'NoneType' object has no attribute 'hostname'",
kombu issues #582 and #970), which Celery does not count as a connection error: the worker
stops with "Unrecoverable error". Here that restore gives up quietly instead, as it would for a
connection error, and the worker reconnects once Redis is back. Nothing is lost: the tasks stay
in Redis's unacknowledged set when Redis kept them (restored after the visibility timeout),
and every message is in PostgreSQL, where the sweep (`requeue_stuck_messages`) enqueues it
again; the delivery's claim sends each one once.
"""

import logging

from kombu.transport import redis

logger = logging.getLogger(__name__)
_restore_unacked = redis.QoS.restore_unacked


def _restore_unacked_unless_gone(self, client=None):
    try:
        return _restore_unacked(self, client)
    except AttributeError:
        if self.channel.connection.client is not None:
            raise
        logger.warning(
            "broker connection gone: %d unacknowledged task(s) left for Redis or the sweep",
            len(self._delivered),
        )
        self._delivered.clear()
        return None


redis.QoS.restore_unacked = _restore_unacked_unless_gone  # type: ignore[method-assign]
