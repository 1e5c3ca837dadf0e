"""Reads of the verification app."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from verification.models import OutboundMessage


def stuck_message_ids(
    *, not_older_than: timedelta = timedelta(days=1), limit: int = 500
) -> list[int]:
    """Messages still queued well after their next attempt was due (their task never reached
    the broker, or the broker lost it) and not in flight, but not so old that sending them now
    would surprise anyone."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.MESSAGE_REQUEUE_AFTER)
    return list(
        OutboundMessage.objects.filter(
            Q(in_flight_until__isnull=True) | Q(in_flight_until__lt=now),
            status=OutboundMessage.Status.QUEUED,
            next_attempt_at__lt=overdue,
            created_at__gt=now - not_older_than,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def mark_requeued(ids: list[int]) -> None:
    """Their next attempt is due now (so the next sweep leaves them to their new task)."""
    OutboundMessage.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
