"""The Celery application: settings under `CELERY_*`, tasks discovered in each app."""

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections, transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)

from config import broker as _broker_guard  # noqa: E402,F401 - a worker survives Redis going away
from config import logging as _request_ids  # noqa: E402,F401 - carries request ids into tasks


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs) -> None:
    """Database connections live across tasks as they do across requests: closed once older
    than `CONN_MAX_AGE` or after an error, checked before reuse (`CONN_HEALTH_CHECKS`). A task
    run inline (eager) is part of its caller's request and leaves them alone."""
    if sender is None or not getattr(sender.request, "is_eager", False):
        close_old_connections()


def after_commit(task, **kwargs) -> None:
    """Leave `task(**kwargs)` to the worker once the caller's transaction commits. With the
    broker away it runs here instead: late rather than lost."""

    def enqueue() -> None:
        try:
            task.apply_async(kwargs=kwargs)
        except Exception:
            logger.warning("could not enqueue %s; running it in the request", task.name)
            task.apply(kwargs=kwargs)

    transaction.on_commit(enqueue)
