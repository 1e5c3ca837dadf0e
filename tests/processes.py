"""Real servers the fault tests start, stop and start again themselves: Redis, PostgreSQL, a
stand-in for Twilio's API on loopback, and Celery workers."""

import contextlib
import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk; the kernel
    ends it if the test process dies first."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.mkdtemp(prefix="portal-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_end_with_parent,
        )
        wait_until(lambda: _answers(self.port), 10, "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        wait_until(lambda: not _answers(self.port), 10, "redis-server to stop")

    def remove(self) -> None:
        if self.process is not None:
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def _end_with_parent() -> None:
    """In a child process: the kernel sends it SIGTERM when the test process dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class PostgresServer:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        bindir = Path(found[-1]).parent if found else None
        if bindir is None and shutil.which("initdb"):
            bindir = Path(shutil.which("initdb")).parent  # type: ignore[arg-type]
        assert bindir is not None, "PostgreSQL's server programs (initdb) are not installed"
        self.bindir = bindir
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.directory / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"
        # PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.directory, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self.bindir / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", log, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str = "portal") -> None:
        subprocess.run(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1"]
            + ["-p", str(self.port), "-U", "postgres", name],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class TwilioStandIn:
    """Twilio's Messages API on loopback: creates messages as Twilio would, answers each
    POST as the script says ("ok", an HTTP status, ("twilio", status, code), "timeout": accept
    the message but answer too late), and lists what it accepted."""

    def __init__(self, script: list | None = None, *, late_by: float = 3.0) -> None:
        self.script = list(script or [])
        self.late_by = late_by
        self.posts: list[dict[str, str]] = []
        self.created: list[dict] = []
        self.received = threading.Event()
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with stand_in.lock:
                    stand_in.posts.append(form)
                    answer = stand_in.script.pop(0) if stand_in.script else "ok"
                stand_in.received.set()
                if answer in ("ok", "timeout"):
                    message = stand_in._accept(form)
                    if answer == "timeout":
                        time.sleep(stand_in.late_by)
                    self._json(201, message)
                elif isinstance(answer, tuple):
                    _, status, code = answer
                    self._json(status, {"code": code, "message": "error", "status": status})
                else:  # an HTTP status
                    status = int(answer)
                    self._json(status, {"code": None, "message": "server error", "status": status})

            def do_GET(self):  # noqa: N802
                query = parse_qs(urlparse(self.path).query)
                to = query.get("To", [None])[0]
                with stand_in.lock:
                    found = [m for m in reversed(stand_in.created) if to in (None, m["to"])]
                self._json(200, {"messages": found, "next_page_uri": None, "page": 0})

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client hung up (it timed out, or was killed)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _accept(self, form: dict[str, str]) -> dict:
        with self.lock:
            message = {
                "sid": f"SM{len(self.created) + 1:032d}",
                "status": "queued",
                "to": form.get("To", ""),
                "body": form.get("Body", ""),
                "date_created": formatdate(usegmt=True),
            }
            self.created.append(message)
        return message

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Worker:
    """A Celery worker process on the test database, sending SMS to the stand-in; what it
    prints is collected as it goes."""

    def __init__(
        self,
        *,
        broker: str,
        twilio: TwilioStandIn,
        pool: str,
        beat: bool,
        env: dict[str, str],
        concurrency: int = 1,
    ) -> None:
        environment = (
            os.environ
            | {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "DEBUG": "1",
                "DATABASE_URL": database_url(),
                "REDIS_URL": broker,
                "CELERY_BROKER_URL": broker,
                "SMS_BACKEND": "twilio",
                "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILIO_AUTH_TOKEN": "fault-test-token",
                "TWILIO_FROM_NUMBER": "+15005550006",
                "TWILIO_HTTP_CLIENT": "tests.doubles.LoopbackTwilioHttpClient",
                "TWILIO_LOOPBACK_URL": twilio.url,
                "VAR_DIR": tempfile.mkdtemp(prefix="portal-worker-"),
                # Celery takes `--pool=prefork` for its default and uses the setting instead.
                "WORKER_POOL": pool,
            }
            | env
        )
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}"]
        command += [f"--concurrency={concurrency}", "-l", "INFO"] + (["--beat"] if beat else [])
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.pid = self.process.pid
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()
        wait_until(lambda: " ready." in self.log(), 60, "the worker to be ready")

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> str:
        """Stop the worker (if it still runs) and return what it printed."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        time.sleep(0.2)  # the last lines
        return self.log()


def start_worker(
    *,
    broker: str,
    twilio: TwilioStandIn,
    pool: str = "solo",
    beat: bool = False,
    concurrency: int = 1,
    **env: str,
) -> Worker:
    return Worker(
        broker=broker, twilio=twilio, pool=pool, beat=beat, env=env, concurrency=concurrency
    )


def children_of(pid: int) -> list[int]:
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.split("/")[2]))
    return found
