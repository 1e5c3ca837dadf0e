"""The web server as production runs it: granian (Rust HTTP, WSGI) serving `config.wsgi`.

    python -m config.server [--factory] [APP]

The Dockerfile, the compose file, deploy/systemd/portal-web.service, the tests and the bench
start the web process this way, so how it is served has this one home (docs/deploy.md):

- `BIND` (`0.0.0.0:8000`), `WEB_CONCURRENCY` processes (2) of `WEB_THREADS` threads (4) each,
  HTTP/1.1 only (the proxy in front speaks it), no websockets;
- a worker process that exits unexpectedly is started again (off by default in granian);
- on SIGTERM requests in flight get `WEB_STOP_TIMEOUT` seconds (30) to finish, then the workers
  still running are killed;
- a client gets 10 seconds to send its request's headers, as from nginx (deploy/): one that
  trickles them is dropped, and waits in granian's event loop, never in a thread;
- a hung request: granian, like gunicorn's threaded worker before it, never stops a request
  that runs too long, so each thing a request waits on has its own limit. PostgreSQL cancels a
  statement of the web process after `WEB_STATEMENT_TIMEOUT` seconds (30; a lock wait too: the
  request gets the 503 of config/errors.py); Redis answers within 2 s (`CACHES`), Twilio and
  SMTP within their `*_TIMEOUT`; nginx answers the client 504 after 35 s whatever happens;
- the access log is the portal's own, one JSON line a request with its request id
  (config/logging.py): granian's is left off.
"""

import argparse
import os
import sys

from config.env import env_int, env_str

APP = "config.wsgi:application"
# As nginx's client_header_timeout (deploy/nginx.conf.template).
HEADER_TIMEOUT_MS = 10_000


def statement_timeout_options(existing: str, seconds: int) -> str:
    """PGOPTIONS (libpq reads it at every connection) with the web process's statement
    timeout added: only the web process gets it, not migrations or the Celery worker. 0 adds
    none (behind a pooler that refuses startup options, set it on the database role instead)."""
    if seconds == 0:
        return existing
    return f"{existing} -c statement_timeout={seconds}s".strip()


def command(app: str = APP, factory: bool = False) -> list[str]:
    """granian's command line for this environment's settings."""
    host, _, port = env_str("BIND", "0.0.0.0:8000").rpartition(":")
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface=wsgi",
        "--http=1",
        "--no-ws",
        f"--host={host.strip('[]')}",
        f"--port={port}",
        f"--workers={env_int('WEB_CONCURRENCY', 2, minimum=1)}",
        f"--blocking-threads={env_int('WEB_THREADS', 4, minimum=1)}",
        "--respawn-failed-workers",
        f"--workers-kill-timeout={env_int('WEB_STOP_TIMEOUT', 30, minimum=1)}",
        f"--http1-header-read-timeout={HEADER_TIMEOUT_MS}",
        "--no-access-log",
        *(["--factory"] if factory else []),
        app,
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factory", action="store_true", help="APP is a function making it")
    parser.add_argument("app", nargs="?", default=APP, help=f"the WSGI app (default {APP})")
    args = parser.parse_args(argv)
    argv = command(args.app, args.factory)
    os.environ["PGOPTIONS"] = statement_timeout_options(
        os.environ.get("PGOPTIONS", ""), env_int("WEB_STATEMENT_TIMEOUT", 30, minimum=0)
    )
    # granian takes this process's place: the signals of compose, systemd and the tests reach it.
    os.execv(argv[0], argv)  # noqa: S606 - our own command line, no shell


if __name__ == "__main__":
    main()
