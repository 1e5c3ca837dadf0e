"""Fault tests: a Redis server of the test's own for brokers of worker processes, and tasks
sent to a broker (not run inline)."""

import pytest


@pytest.fixture
def broker(own_redis):
    return own_redis.url


@pytest.fixture
def to_broker(_eager_tasks):
    """Tasks go to a broker (use_broker says which), for worker processes, instead of
    running inline."""
    from config.celery import app

    before = app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True
    app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options = before
    _forget_pools(app)


def use_broker(app, url: str) -> None:
    """Point this process's Celery producer at `url` (its pools were made for another), a
    server of the test's own: its workers use the portal's settings, with no key prefix."""
    app.conf.broker_url = app.conf.broker_write_url = url
    app.conf.broker_transport_options = {
        name: value
        for name, value in app.conf.broker_transport_options.items()
        if name != "global_keyprefix"
    }
    _forget_pools(app)


def _forget_pools(app) -> None:
    app._pool = None
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None
