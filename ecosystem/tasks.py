"""Periodic jobs of ecosystem sign-in (celery beat)."""

from celery import shared_task

from ecosystem.access import forget_retired_tokens


@shared_task
def forget_retired_refresh_tokens() -> int:
    return forget_retired_tokens()
