"""gunicorn settings for production: docker compose, or `gunicorn -c gunicorn.conf.py ...`."""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
# gunicorn reads WEB_CONCURRENCY itself; this is the default when it is not set.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
# On SIGTERM, requests in flight get this long to finish before the worker stops.
graceful_timeout = 30
# The proxy in front terminates TLS; trust its X-Forwarded-* headers only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The access log has the path and status, never a query string with anything secret: the
# portal takes secrets only in POST bodies and headers.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
