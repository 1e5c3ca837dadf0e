"""Periodic Find Device jobs (celery beat)."""

from celery import shared_task

from devices import actions


@shared_task
def purge_old_locations() -> int:
    return actions.purge_old_locations()


@shared_task
def expire_commands() -> int:
    return actions.expire_commands()


@shared_task
def write_last_seen() -> int:
    return actions.write_last_seen()
