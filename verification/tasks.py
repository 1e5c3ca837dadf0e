"""Celery tasks: thin wrappers over verification's actions, with the retry policy."""

import logging
import random

from celery import shared_task
from django.conf import settings

from verification.actions import codes, delivery
from verification.backends import TransientDeliveryError
from verification.queries import mark_requeued, stuck_message_ids

logger = logging.getLogger(__name__)


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: base, 2x base, 4x base... capped at ten minutes."""
    base = settings.MESSAGE_RETRY_BASE_DELAY * (2**retries)
    return min(600.0, base * random.uniform(0.8, 1.2))


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_message_task(self, message_id: int) -> None:
    try:
        delivery.deliver_message(message_id=message_id)
    except delivery.AttemptInFlight as busy:
        # Another attempt (or a dead worker's) may still be talking to the provider. Run
        # inline (no broker), the sweep comes back for it instead of a retry here and now.
        if self.request.is_eager:
            return
        raise self.retry(countdown=busy.retry_in + 1) from busy
    except TransientDeliveryError as exc:
        countdown = retry_delay(self.request.retries)
        if self.request.retries >= settings.MESSAGE_DELIVERY_MAX_RETRIES or not (
            delivery.schedule_retry(message_id=message_id, countdown=countdown)
        ):
            delivery.give_up_delivery(message_id=message_id, error=exc)
            return
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception as exc:
        # A bug or a broken setting, not the network: record it on the message instead of
        # leaving it queued for ever.
        logger.exception("delivering message %s failed unexpectedly", message_id)
        delivery.give_up_delivery(message_id=message_id, error=exc)


@shared_task
def purge_expired_codes() -> int:
    return codes.purge_expired_codes()


@shared_task
def requeue_stuck_messages() -> int:
    """Enqueue again what lost its task: the broker was down when the message was queued, or
    lost its queue in a restart. A duplicate task is harmless (delivery.deliver_message)."""
    ids = stuck_message_ids()
    mark_requeued(ids)
    for message_id in ids:
        deliver_message_task.delay(message_id)
    return len(ids)
