"""Reads of the verification app."""

from datetime import timedelta

from django.utils import timezone

from verification.models import OutboundMessage


def stuck_message_ids(
    *,
    older_than: timedelta = timedelta(minutes=30),
    not_older_than: timedelta = timedelta(days=1),
    limit: int = 500,
) -> list[int]:
    """Messages still queued long after their delivery task should have run (the broker was
    down when they were queued), but not so old that sending them now would surprise anyone."""
    now = timezone.now()
    return list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.QUEUED,
            updated_at__lt=now - older_than,
            created_at__gt=now - not_older_than,
        ).values_list("pk", flat=True)[:limit]
    )
