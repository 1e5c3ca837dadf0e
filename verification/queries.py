"""Reads of the verification app."""

from datetime import timedelta

from django.utils import timezone

from verification.models import OutboundMessage


def stuck_message_ids(
    *, older_than: timedelta = timedelta(minutes=30), limit: int = 500
) -> list[int]:
    """Messages still queued long after their delivery task should have run."""
    return list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.QUEUED, updated_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)[:limit]
    )
