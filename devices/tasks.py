"""Periodic Find Device jobs (celery beat)."""

from celery import shared_task

from devices import commands, last_seen, locations


@shared_task
def purge_old_locations() -> int:
    return locations.purge_old_locations()


@shared_task
def expire_commands() -> int:
    return commands.expire_commands()


@shared_task
def write_last_seen() -> int:
    return last_seen.write_last_seen()
