"""The Celery application: settings under `CELERY_*`, tasks discovered in each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from config import logging as _request_ids  # noqa: E402,F401 - carries request ids into tasks
