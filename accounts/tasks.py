"""Periodic accounts jobs (celery beat)."""

from celery import shared_task

from accounts.rules.failed_passwords import forget_old_failures


@shared_task
def forget_old_sign_in_failures() -> int:
    return forget_old_failures()
