"""Fault tests: a Redis server of the test's own for brokers of worker processes, and tasks
sent to a broker (not run inline)."""

import pytest

from tests.faults.broker import forget_pools


@pytest.fixture
def broker(own_redis):
    return own_redis.url


@pytest.fixture
def to_broker(_eager_tasks):
    """Tasks go to a broker (use_broker in tests/faults/broker.py says which), for worker
    processes, instead of running inline."""
    from config.celery import app

    before = app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True
    app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options = before
    forget_pools(app)
