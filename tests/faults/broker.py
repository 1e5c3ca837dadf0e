"""Pointing this process's Celery producer at a broker of the test's own."""


def use_broker(app, url: str) -> None:
    """Point this process's Celery producer at `url` (its pools were made for another), a
    server of the test's own: its workers use the portal's settings, with no key prefix."""
    app.conf.broker_url = app.conf.broker_write_url = url
    app.conf.broker_transport_options = {
        name: value
        for name, value in app.conf.broker_transport_options.items()
        if name != "global_keyprefix"
    }
    forget_pools(app)


def forget_pools(app) -> None:
    """Drop the producer's connection pools, made for the broker it used before."""
    app._pool = None
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None
