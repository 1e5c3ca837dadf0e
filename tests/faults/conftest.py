"""Fault tests: the suite's own Redis database for brokers of worker processes, and tasks
sent to a broker (not run inline)."""

import pytest
import redis
from django.conf import settings


@pytest.fixture
def broker():
    url = settings.TEST_REDIS_SPARE[0]
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def to_broker(_eager_tasks):
    """Tasks go to a broker (use_broker says which), for worker processes, instead of
    running inline."""
    from config.celery import app

    before = app.conf.broker_url, app.conf.broker_write_url
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True
    app.conf.broker_url, app.conf.broker_write_url = before
    _forget_pools(app)


def use_broker(app, url: str) -> None:
    """Point this process's Celery producer at `url` (its pools were made for another)."""
    app.conf.broker_url = app.conf.broker_write_url = url
    _forget_pools(app)


def _forget_pools(app) -> None:
    app._pool = None
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None
