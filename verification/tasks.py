"""Celery tasks: thin wrappers over verification.actions, with the retry policy."""

import random

from celery import shared_task
from django.conf import settings

from verification import actions
from verification.backends import TransientDeliveryError


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: base, 2x base, 4x base... capped at ten minutes."""
    base = settings.MESSAGE_RETRY_BASE_DELAY * (2**retries)
    return min(600.0, base * random.uniform(0.8, 1.2))


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_message_task(self, message_id: int) -> None:
    try:
        actions.deliver_message(message_id=message_id)
    except TransientDeliveryError as exc:
        if self.request.retries >= settings.MESSAGE_DELIVERY_MAX_RETRIES:
            actions.give_up_delivery(message_id=message_id, error=exc)
            return
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc


@shared_task
def purge_expired_codes() -> int:
    return actions.purge_expired_codes()


@shared_task
def requeue_stuck_messages() -> int:
    return actions.requeue_stuck_messages()
