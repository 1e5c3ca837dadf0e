"""`make bench`: start a production-like stack on loopback, seed it, drive every scenario,
then the same on a stock django-allauth site, and write bench/results/.

    python -m bench.run [--quick] [--seconds 15] [--accounts 10000] [--out bench/results]

Environment: BENCH_SECONDS, BENCH_WARMUP, BENCH_ACCOUNTS, BENCH_QUICK=1, BENCH_PORT (first of
four ports: portal, Twilio stand-in, stock site, stock site with the portal's Argon2id; default
8780), BENCH_REDIS_PORT (6391), BENCH_DB_PREFIX ("bench": databases <prefix>_portal,
<prefix>_stock and <prefix>_stock_argon2), BENCH_PG
(postgres://postgres@127.0.0.1:5432), BENCH_SERVER (granian, production's, or gunicorn),
WEB_CONCURRENCY, WEB_THREADS, and the ARGON2_* settings.
"""

import argparse
import asyncio
import importlib.util
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import argon2
import psycopg

from bench import existence, load, parts, report, scripts, stock, wrk
from bench import identities as ids
from config.signing_keys import new_private_key

ROOT = Path(__file__).resolve().parent.parent
CORES = os.cpu_count() or 1
TICKS = os.sysconf("SC_CLK_TCK")
# Sign-ins are CPU-bound: a few per core in flight saturate the server (more only queue), and
# the stock site's slower hash would run into the timeout.
SIGN_INS_IN_FLIGHT = 4 * CORES
# The Celery worker's pool and threads: the settings' defaults (WORKER_POOL, WORKER_CONCURRENCY).
WORKER_POOL = os.environ.get("WORKER_POOL", "threads")
WORKER_CONCURRENCY = int(os.environ.get("WORKER_CONCURRENCY", "16"))
# The web server of portal and stock site: granian (production's) or gunicorn (web_server()).
SERVER = os.environ.get("BENCH_SERVER", "granian")
if SERVER not in ("granian", "gunicorn"):
    raise SystemExit(f"BENCH_SERVER must be granian or gunicorn, not {SERVER!r}")
if SERVER == "gunicorn" and importlib.util.find_spec("gunicorn") is None:
    raise SystemExit("BENCH_SERVER=gunicorn needs the development lock: make .venv/.dev")


@dataclass
class Config:
    seconds: float
    warmup: float
    accounts: int
    quick: bool
    port: int
    redis_port: int
    db_prefix: str
    pg: str
    out: Path
    charts: bool
    workers: int
    threads: int


def parse() -> Config:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=env("BENCH_QUICK") == "1")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--no-charts", action="store_true", help="skip the PNG (smoke test)")
    args = parser.parse_args()
    quick = args.quick
    return Config(
        seconds=args.seconds or float(env("BENCH_SECONDS", "2" if quick else "12")),
        warmup=float(env("BENCH_WARMUP", "0.5" if quick else "3")),
        accounts=args.accounts or int(env("BENCH_ACCOUNTS", "400" if quick else "10000")),
        quick=quick,
        port=int(env("BENCH_PORT", "8780")),
        redis_port=int(env("BENCH_REDIS_PORT", "6391")),
        db_prefix=env("BENCH_DB_PREFIX", "bench"),
        pg=env("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/"),
        out=args.out,
        charts=not args.no_charts,
        workers=int(env("WEB_CONCURRENCY", str(CORES))),
        threads=int(env("WEB_THREADS", "8")),
    )


# --- Processes --------------------------------------------------------------------------------
class Stack:
    """The processes of one run; each stopped by its own id at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict, cwd: Path = ROOT) -> None:
        out = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)

    def tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()[-3000:]


def run(command: list[str], env: dict, cwd: Path = ROOT) -> None:
    answer = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if answer.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{answer.stdout[-2000:]}{answer.stderr}")


def wait_for(url: str, stack: Stack, name: str, headers: dict | None = None) -> None:
    import urllib.request

    for _ in range(300):
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            if stack.processes[name].poll() is not None:
                break
            time.sleep(0.2)
    raise SystemExit(f"{name} did not start:\n{stack.tail(name)}")


def fresh_database(config: Config, name: str) -> str:
    with psycopg.connect(f"{config.pg}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{config.pg}/{name}"


def drop_database(config: Config, name: str) -> None:
    with psycopg.connect(f"{config.pg}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- CPU time ---------------------------------------------------------------------------------
def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for child in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(child.read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if parent == pid:
            pids.extend(_tree(int(child.parent.name)))
    return pids


class CpuMeter:
    """CPU seconds of the web server, the Celery worker, PostgreSQL's backends serving the
    bench database, and the load generator itself."""

    def __init__(self, config: Config, database: str, web: int, worker: int | None) -> None:
        self.dsn = f"{config.pg}/postgres"
        self.database = database
        self.web = web
        self.worker = worker
        # CPU seen per backend: a connection that closes keeps what it had used.
        self.backends: dict[int, float] = {}

    def _database(self, backends: list[int]) -> float:
        for pid in backends:
            self.backends[pid] = max(self.backends.get(pid, 0.0), _cpu_of(pid))
        return sum(self.backends.values())

    def sample(self) -> dict[str, float]:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            backends = [
                row[0]
                for row in connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
                )
            ]
        times = os.times()  # wrk's runs too, once each has ended
        return {
            "web": sum(_cpu_of(pid) for pid in _tree(self.web)),
            "worker": sum(_cpu_of(pid) for pid in _tree(self.worker)) if self.worker else 0.0,
            "database": self._database(backends),
            "load_generator": times.user
            + times.system
            + times.children_user
            + times.children_system,
        }


def hash_cpu_seconds(repeat: int) -> float:
    """CPU time of one password verification at the configured Argon2id parameters."""
    hasher = argon2.PasswordHasher(
        time_cost=int(os.environ["ARGON2_TIME_COST"]),
        memory_cost=int(os.environ["ARGON2_MEMORY_KIB"]),
        parallelism=int(os.environ["ARGON2_PARALLELISM"]),
    )
    encoded = hasher.hash(ids.PASSWORD)
    start = time.process_time()
    for _ in range(repeat):
        hasher.verify(encoded, ids.PASSWORD)
    return (time.process_time() - start) / repeat


# --- Between scenarios -----------------------------------------------------------------------
QUIET_IDLE_SHARE = 0.85  # the machine counts as quiet with this share of its CPU idle
QUIET_LONGEST = 20.0  # seconds: a machine busy with others' work is not waited for longer


def _idle_and_total() -> tuple[int, int]:
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return ticks[3] + ticks[4], sum(ticks)  # idle + iowait, all


def settle(dsn: str) -> dict:
    """Before each scenario: PostgreSQL's deferred work done now (a CHECKPOINT writes the
    pages the last scenario dirtied, VACUUM ANALYZE what autovacuum would otherwise start in
    the middle of the next scenario), then a wait until the machine is quiet: a scenario does
    not share the cores with the deferred work of the rows the one before it wrote (150,000
    location fixes before the command poll). Returns how long each part took."""
    began = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        connection.execute("CHECKPOINT")
    database = time.monotonic() - began
    idle, total = _idle_and_total()
    while time.monotonic() - began < QUIET_LONGEST:
        time.sleep(0.5)
        idle_now, total_now = _idle_and_total()
        share = (idle_now - idle) / max(total_now - total, 1)
        idle, total = idle_now, total_now
        if share >= QUIET_IDLE_SHARE:
            break
    return {"database_seconds": round(database, 2), "seconds": round(time.monotonic() - began, 2)}


# --- Scenarios --------------------------------------------------------------------------------
@dataclass
class Scenario:
    key: str
    title: str
    make: object  # () -> Operation
    concurrency: int
    query_paths: tuple[str, ...] = ()
    script: Callable[[], wrk.Script] | None = None  # the same operation, for wrk's closed loop


async def drive(config: Config, target: load.Target, scenario: Scenario, meter: CpuMeter) -> dict:
    settled = await asyncio.to_thread(settle, f"{config.pg}/{meter.database}")
    operation = scenario.make()
    script = scenario.script() if scenario.script is not None and wrk.available() else None
    if script is not None:
        saturated = await asyncio.to_thread(
            wrk.closed_loop,
            target.base,
            script,
            scenario.concurrency,
            config.warmup,
            config.seconds,
        )
    else:
        warm_up = await load.closed_loop(operation, scenario.concurrency, config.warmup)
        if warm_up.errors:  # not counted in the scenario's errors, but a cause of later ones
            print(f"{scenario.key}: warm-up errors: {warm_up.first_errors}", flush=True)
        saturated = await load.closed_loop(operation, scenario.concurrency, config.seconds)
    target.queries.clear()
    phases = [saturated]
    rate = saturated.throughput
    loads = [(0.5, "50%"), (0.8, "80%")]
    cpu = None
    for share, label in loads:
        offered = max(rate * share, 0.5)
        before = meter.sample()
        phase = await load.open_loop(operation, offered, config.seconds, label)
        after = meter.sample()
        phases.append(phase)
        if phase.completed:
            cpu = {key: 1000 * (after[key] - before[key]) / phase.completed for key in before}
    queries = {
        path: {"mean": sum(counts) / len(counts), "max": max(counts), "min": min(counts)}
        for path, counts in target.queries.items()
        if counts and (not scenario.query_paths or path in scenario.query_paths)
    }
    result = {
        "key": scenario.key,
        "title": scenario.title,
        "saturation_per_second": rate,
        "cpu_ms_per_operation_at_80": cpu,
        "queries_per_request": queries,
        "phases": [report.phase_summary(phase) for phase in phases],
        "settled_before": settled,
    }
    print(report.one_line(result), flush=True)
    return result


async def saturate(
    config: Config, target: load.Target, scenario: Scenario, meter: CpuMeter
) -> dict:
    """The scenario's saturating rate alone (settled first, as `drive` does) and the CPU per
    operation of that closed loop, warm-up included: what BENCH_COMPARE_PARTS compares."""
    await asyncio.to_thread(settle, f"{config.pg}/{meter.database}")
    before = meter.sample()
    if scenario.script is not None and wrk.available():
        args = (target.base, scenario.script(), scenario.concurrency, config.warmup)
        saturated = await asyncio.to_thread(wrk.closed_loop, *args, config.seconds)
    else:
        operation = scenario.make()
        await load.closed_loop(operation, scenario.concurrency, config.warmup)
        saturated = await load.closed_loop(operation, scenario.concurrency, config.seconds)
    after = meter.sample()
    done = max(saturated.completed, 1)
    return {
        "rate": saturated.throughput,
        "errors": saturated.errors,
        "cpu_ms": {key: round(1000 * (after[key] - before[key]) / done, 2) for key in before},
    }


async def drive_portal(
    config: Config,
    env: dict,
    meter: CpuMeter,
    stock_meters: dict[str, "CpuMeter | None"],
    restart: Callable[[str], int] | None = None,
) -> tuple[dict, dict, dict, dict, dict]:
    """The portal's scenarios, then whether answers take longer when the account exists
    (bench/existence.py). With the stock sites up (`stock_meters`), each scenario a stock
    site has runs there right after the portal's, so that they meet the machine in the same
    minute (it is shared, and its speed drifts over a run). With `restart` (the web server
    started again with STOCK_PARTS=..., returning its pid), the portal's own parts against
    Django's (bench/parts.py)."""
    stock_results: dict = {}
    argon2_results: dict = {}
    async with (
        aiohttp.ClientSession(connector=load.connector(), timeout=load.TIMEOUT) as http,
        StockRun(config, stock_meters.get("stock")) as stock_run,
        StockRun(config, stock_meters.get("stock_argon2"), ARGON2_SITE) as argon2_run,
    ):
        target = load.Target(
            base=f"http://127.0.0.1:{config.port}",
            host=ids.HOST,
            http=http,
            standin=f"http://127.0.0.1:{config.port + 1}",
        )
        portal = load.PortalScenarios(target, config.accounts)
        await portal.prepare(0)
        sms_pool = await portal.send_code_pool(50 if config.quick else 400)
        scenarios = [
            Scenario(
                "sign_in",
                "Password sign-in",
                portal.sign_in,
                SIGN_INS_IN_FLIGHT,
                script=lambda: scripts.sign_in(portal),
            ),
            Scenario(
                "sign_in_totp",
                "Sign-in with TOTP",
                portal.sign_in_totp,
                SIGN_INS_IN_FLIGHT,
                # The codes of the closed loop and both open loops, with time to spare.
                script=lambda: scripts.sign_in_totp(portal, config.warmup + config.seconds + 60),
            ),
            Scenario("sign_up", "Sign-up by phone", portal.sign_up, 16),
            Scenario(
                "signup_page",
                "Sign-up page",
                portal.signup_page,
                16,
                script=lambda: scripts.signup_page(target),
            ),
            Scenario(
                "account_page",
                "Account page",
                lambda: portal.page("/account/", ids.LOG_1_EVENT),
                16,
                script=lambda: scripts.page(portal, "/account/", ids.LOG_1_EVENT),
            ),
            Scenario(
                "security_log_1",
                "Security log, 1 event",
                lambda: portal.page("/account/security-log/", ids.LOG_1_EVENT),
                16,
                script=lambda: scripts.page(portal, "/account/security-log/", ids.LOG_1_EVENT),
            ),
            Scenario(
                "security_log_50",
                "Security log, 50 events",
                lambda: portal.page("/account/security-log/", ids.LOG_50_EVENTS),
                16,
                script=lambda: scripts.page(portal, "/account/security-log/", ids.LOG_50_EVENTS),
            ),
            Scenario(
                "locations",
                "Location report (10 fixes)",
                portal.report_locations,
                16,
                script=lambda: scripts.report_locations(portal),
            ),
            Scenario(
                "poll_empty",
                "Command poll, none pending",
                lambda: portal.poll(False),
                16,
                script=lambda: scripts.poll(portal, pending=False),
            ),
            Scenario(
                "poll_pending",
                "Command poll, one pending",
                lambda: portal.poll(True),
                16,
                script=lambda: scripts.poll(portal, pending=True),
            ),
            Scenario("sms", "Send a sign-up code by SMS", lambda: portal.send_code(sms_pool), 16),
            Scenario(
                "app_refresh",
                "App token refresh (ecosystem sign-in)",
                portal.refresh_app_token,
                16,
            ),
        ]
        results = {}
        for scenario in scenarios:
            if not wanted(scenario.key):
                continue
            results[scenario.key] = await drive(config, target, scenario, meter)
            if scenario.key in stock_run.scenarios:
                stock_results[scenario.key] = await stock_run.drive(scenario.key)
            if scenario.key in argon2_run.scenarios:
                argon2_results[scenario.key] = await argon2_run.drive(scenario.key)
            if scenario.key == "sms":
                results["sms"]["delivery"] = await sms_delivery(config, target, env)
        if wanted("mixed"):
            results["mixed"] = await drive_mixed(config, portal)
        timing = {}
        if wanted("existence"):
            print("existence: answers about existing and unknown accounts ...", flush=True)
            timing = await existence.measure(portal, 10 if config.quick else 60)
        compared = {}
        if restart is not None:
            by_key = {scenario.key: scenario for scenario in scenarios}

            async def measure(key: str) -> dict:
                return await saturate(config, target, by_key[key], meter)

            async def web_with(stock_parts: str) -> None:
                meter.web = await asyncio.to_thread(restart, stock_parts)

            print("the portal's own parts against Django's ...", flush=True)
            compared = await parts.compare(set(results), config.quick, measure, web_with)
        return results, stock_results, argon2_results, timing, compared


def wanted(key: str) -> bool:
    """BENCH_SCENARIOS=sign_in,mixed runs only those (to measure one change before and after)."""
    chosen = os.environ.get("BENCH_SCENARIOS", "")
    return not chosen or key in chosen.split(",")


async def drive_mixed(config: Config, portal: load.PortalScenarios) -> dict:
    """The account page at a light, steady rate while password sign-ins saturate the server:
    what a bound on hashes at once is for."""
    page = portal.page("/account/", ids.LOG_1_EVENT)
    alone = await load.open_loop(page, 20, config.seconds, "alone")
    background = asyncio.create_task(
        load.closed_loop(portal.sign_in(), 16, config.seconds + 2 * config.warmup)
    )
    await asyncio.sleep(config.warmup)
    mixed = await load.open_loop(page, 20, config.seconds, "under sign-ins")
    sign_ins = await background
    result = {
        "key": "mixed",
        "title": "Account page at 20/s, alone and under saturating sign-ins",
        "sign_ins_per_second": sign_ins.throughput,
        "phases": [report.phase_summary(alone), report.phase_summary(mixed)],
    }
    print(
        f"  account page p95 alone {result['phases'][0]['p95_ms']} ms, under sign-ins "
        f"{result['phases'][1]['p95_ms']} ms ({sign_ins.throughput:.1f} sign-ins/s)",
        flush=True,
    )
    return result


async def worker_idle(database_url: str, limit: float = 120) -> None:
    """Until the worker has sent what the SMS scenario queued (so the delivery times below are
    not the tail of that backlog)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with psycopg.connect(database_url) as connection:
            (queued,) = connection.execute(
                "SELECT count(*) FROM verification_outboundmessage WHERE status = 'queued'"
            ).fetchone()
        if not queued:
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"the worker still has {queued} messages to send after {limit:.0f} s")


async def sms_delivery(config: Config, target: load.Target, env: dict) -> dict:
    """Sign-up code SMS queued at 50 a second (bench/enqueue.py), timed from their row's
    creation (the task is enqueued on that transaction's commit) to the stand-in's receipt."""
    rate = 50
    await worker_idle(env["DATABASE_URL"])
    since = time.time()
    enqueue = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.enqueue",
        f"--rate={rate}",
        f"--seconds={config.seconds}",
        f"--first={int(since) % 10**6 * 1000}",
        cwd=ROOT,
        env=env,
    )
    if await enqueue.wait():
        raise SystemExit("bench.enqueue failed")
    expected = int(rate * config.seconds)
    for _ in range(60):  # the worker's backlog drains (at most 30 s more)
        async with target.http.get(f"{target.standin}/received") as answer:
            received = {
                row["to"]: row["at"] for row in await answer.json() if row["to"].startswith("+916")
            }
        if len(received) >= expected:
            break
        await asyncio.sleep(0.5)
    with psycopg.connect(env["DATABASE_URL"]) as connection:
        rows = connection.execute(
            'SELECT "to", extract(epoch from created_at)::float8 FROM verification_outboundmessage'
            " WHERE channel = 'sms' AND \"to\" LIKE '+916%%' AND created_at >= to_timestamp(%s)",
            [since],
        ).fetchall()
    delays = [received[to] - created for to, created in rows if to in received]
    return report.latency_summary(delays) | {
        "rate_per_second": rate,
        "messages": len(rows),
        "not_received": len(rows) - len(delays),
    }


@dataclass(frozen=True)
class StockSite:
    """One stock allauth site: its name (process, database suffix), its port (BENCH_PORT +
    `port_offset`), its Redis database, its hasher (bench/stock.py) and the scenarios it runs
    (None: every one it has)."""

    name: str
    port_offset: int
    redis_db: int
    hasher: str
    keys: frozenset[str] | None = None


DEFAULT_SITE = StockSite("stock", 2, 1, "default")
# The same site hashing with the portal's Argon2id parameters: only the sign-in differs.
ARGON2_SITE = StockSite("stock_argon2", 3, 2, "argon2", frozenset({"sign_in"}))


class StockRun:
    """A stock allauth site's scenarios, driven one at a time (`drive`) while the portal's
    run; none without a meter (the site is not up)."""

    def __init__(self, config: Config, meter: CpuMeter | None, site=DEFAULT_SITE) -> None:
        self.config = config
        self.meter = meter
        self.site = site
        self.scenarios: dict[str, Scenario] = {}

    async def __aenter__(self) -> "StockRun":
        if self.meter is None:
            return self
        self.http = aiohttp.ClientSession(connector=load.connector(), timeout=load.TIMEOUT)
        base = f"http://127.0.0.1:{self.config.port + self.site.port_offset}"
        self.target = target = load.Target(base=base, host=ids.HOST, http=self.http)
        site = load.StockScenarios(target, self.config.accounts)
        await site.prepare(0)
        scenarios = [
            Scenario(
                "sign_in",
                "Password sign-in",
                site.sign_in,
                SIGN_INS_IN_FLIGHT,
                script=lambda: scripts.stock_sign_in(site),
            ),
            Scenario(
                "signup_page",
                "Sign-up page",
                site.signup_page,
                16,
                script=lambda: scripts.signup_page(target),
            ),
            Scenario(
                "account_page",
                "Account page (allauth's email page)",
                site.email_page,
                16,
                script=lambda: scripts.stock_email_page(site),
            ),
        ]
        keys = self.site.keys
        self.scenarios = {
            s.key: s for s in scenarios if wanted(s.key) and (keys is None or s.key in keys)
        }
        return self

    async def __aexit__(self, *exc) -> None:
        if self.meter is not None:
            await self.http.close()

    async def drive(self, key: str) -> dict:
        assert self.meter is not None
        return await drive(self.config, self.target, self.scenarios[key], self.meter)


# --- The run ----------------------------------------------------------------------------------
def bench_signing_key(var: Path) -> Path:
    """The ID tokens' signing key of the run (production settings require one)."""
    path = var / "oidc-signing-key.pem"
    if not path.exists():
        path.write_text(new_private_key())
    return path


def portal_env(config: Config, var: Path, database_url: str, redis_url: str) -> dict:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO_", "CAPTCHA_", "SMS_", "EMAIL_", "DEBUG", "DATABASE_", "REDIS_")
        )
    }
    return keep | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "ENCRYPTION_KEYS": "bench-encryption-key-" + "y" * 40,
        "OIDC_SIGNING_KEYS": str(bench_signing_key(var)),
        "ALLOWED_HOSTS": ids.HOST,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VAR_DIR": str(var),
        "LOG_LEVEL": "WARNING",
        "BENCH_QUERY_COUNT": "1",
        "WEB_CONCURRENCY": str(config.workers),
        "WEB_THREADS": str(config.threads),
        "WORKER_POOL": WORKER_POOL,
        "WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        "BIND": f"127.0.0.1:{config.port}",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "bench-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_HTTP_CLIENT": "verification.backends.loopback_http.LoopbackTwilioHttpClient",
        "TWILIO_LOOPBACK_URL": f"http://127.0.0.1:{config.port + 1}",
        "ARGON2_MEMORY_KIB": os.environ.get("ARGON2_MEMORY_KIB", str(19 * 1024)),
        "ARGON2_TIME_COST": os.environ.get("ARGON2_TIME_COST", "2"),
        "ARGON2_PARALLELISM": os.environ.get("ARGON2_PARALLELISM", "1"),
        # One load generator is one client IP: raise the per-IP budgets (bench/README.md).
        "SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE": "1000000",
        "SIGN_IN_FAILURES_PER_IP_PER_MINUTE": "1000000",
        "VERIFICATION_SENDS_PER_IP_PER_HOUR": "1000000",
        "SMS_SENDS_PER_PREFIX_PER_HOUR": "1000000",
        "SMS_DAILY_BUDGET": "1000000",
        "SMS_SENDS_PER_IP_PER_DAY": "1000000",
        "MAP_TILE_URL": "",
    }


@contextmanager
def redis_server(config: Config, var: Path):
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(config.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(var),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        import redis

        client = redis.Redis(port=config.redis_port)
        for _ in range(50):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        if client.info("server")["process_id"] != process.pid:  # the port was taken
            raise SystemExit(
                f"redis-server could not listen on port {config.redis_port}: "
                "set BENCH_REDIS_PORT to a free port"
            )
        yield f"redis://127.0.0.1:{config.redis_port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    # Stopped (Ctrl-C, a timeout, SIGTERM): the processes it started are stopped too, each in a
    # session of its own that a signal to this one does not reach.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    config = parse()
    python = sys.executable
    portal_db = f"{config.db_prefix}_portal"
    began = time.time()
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        var = Path(tmp)
        stack = Stack(var)
        with redis_server(config, var) as redis_url:
            try:
                results = bench(config, python, var, stack, redis_url, portal_db)
            finally:
                stack.stop_all()
                drop_database(config, portal_db)
                for site in (DEFAULT_SITE, ARGON2_SITE):
                    drop_database(config, stock_database(config, site))
    results["run"]["total_seconds"] = round(time.time() - began, 1)
    written = report.write(results, config.out, charts=config.charts)
    print("\n" + (config.out / "latest.md").read_text())
    print("written: " + ", ".join(str(path) for path in written))


def bench(config, python, var, stack, redis_url, portal_db) -> dict:
    env = portal_env(config, var, fresh_database(config, portal_db), redis_url)
    os.environ.update(
        {k: env[k] for k in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")}
    )
    print(f"seeding {config.accounts} accounts and devices ...", flush=True)
    run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    run([python, "-m", "bench.seed", "--accounts", str(config.accounts)], env)
    stack.start("standin", [python, "-m", "bench.standin", "--port", str(config.port + 1)], env)
    stack.start("web", web_server(python, env, "config.wsgi:application"), env)
    stack.start(
        "worker",
        [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={WORKER_CONCURRENCY}",
        ],
        env,
    )
    wait_for(f"http://127.0.0.1:{config.port + 1}/received", stack, "standin")
    wait_for(f"http://127.0.0.1:{config.port}/healthz", stack, "web", {"Host": ids.HOST})
    hash_seconds = hash_cpu_seconds(5 if config.quick else 40)
    meter = CpuMeter(config, portal_db, stack.processes["web"].pid, stack.processes["worker"].pid)
    stock_meters = {
        site.name: start_stock_site(config, python, var, stack, env, redis_url, site)
        for site in (DEFAULT_SITE, ARGON2_SITE)
    }
    print(f"one hash: {hash_seconds * 1000:.1f} ms CPU; driving the portal ...", flush=True)
    restart = (
        (lambda stock_parts: restart_web(config, stack, env, stock_parts))
        if (parts.wanted())
        else None
    )
    portal, stock_results, argon2_results, timing, compared = asyncio.run(
        drive_portal(config, env, meter, stock_meters, restart)
    )
    hash_after = hash_cpu_seconds(5 if config.quick else 40)
    stack.stop_all()
    hash_mean = (hash_seconds + hash_after) / 2
    return {
        "run": {
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime()),
            "quick": config.quick,
            "seconds_per_phase": config.seconds,
            "accounts": config.accounts,
            "devices": config.accounts,
            "cores": CORES,
            "cpu": platform.processor() or platform.machine(),
            "load_average_at_end": os.getloadavg(),
            "server": {"name": SERVER, "workers": config.workers, "threads": config.threads},
            "celery_concurrency": WORKER_CONCURRENCY,
            "celery_pool": WORKER_POOL,
            "generator": "wrk" if wrk.available() else "aiohttp",
            "argon2": {
                "memory_kib": int(env["ARGON2_MEMORY_KIB"]),
                "time_cost": int(env["ARGON2_TIME_COST"]),
                "parallelism": int(env["ARGON2_PARALLELISM"]),
            },
            "hash_cpu_ms": [round(hash_seconds * 1000, 2), round(hash_after * 1000, 2)],
            "hash_ceiling_per_second": CORES / hash_mean,
        },
        "portal": portal,
        "stock": stock_results,
        "stock_argon2": argon2_results,
        "parts": compared,
        "existence": timing,
    }


def web_server(python: str, env: dict, app: str, factory: bool = False) -> list[str]:
    """The command line of a web server for `app` (`factory`: a function that makes it), with
    `env`'s BIND, WEB_CONCURRENCY and WEB_THREADS: production's granian
    (config/server.py), or with BENCH_SERVER=gunicorn its former gthread server, the same
    shape, to repeat the comparison (bench/README.md). Portal and stock site start the same."""
    if SERVER == "granian":
        return [python, "-m", "config.server", *(["--factory"] if factory else []), app]
    return [
        python,
        "-m",
        "gunicorn",
        f"--bind={env['BIND']}",
        f"--workers={env['WEB_CONCURRENCY']}",
        f"--threads={env['WEB_THREADS']}",
        "--timeout=30",
        "--graceful-timeout=30",
        f"{app}()" if factory else app,
    ]


def restart_web(config: Config, stack: Stack, env: dict, stock_parts: str) -> int:
    """The portal's web server started again, by the same command, with STOCK_PARTS (Django's
    part in place of each named one; "" for the portal's own); its new pid."""
    command = list(stack.processes["web"].args)
    stack.stop("web")
    stack.start("web", command, env | {"STOCK_PARTS": stock_parts})
    wait_for(f"http://127.0.0.1:{config.port}/healthz", stack, "web", {"Host": ids.HOST})
    return stack.processes["web"].pid


def stock_database(config: Config, kind: StockSite) -> str:
    return f"{config.db_prefix}_{kind.name}"


def start_stock_site(
    config, python, var, stack, env, redis_url, kind: StockSite = DEFAULT_SITE
) -> CpuMeter | None:
    """A stock allauth site, seeded and serving beside the portal (BENCH_SCENARIOS without
    "stock": not started)."""
    if not wanted("stock"):
        return None
    print(f"starting the stock allauth site ({kind.name}) ...", flush=True)
    stock_db = stock_database(config, kind)
    site = stock.generate(var / "stock")
    stock_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    } | {
        "DJANGO_SETTINGS_MODULE": "stock_settings",
        "PYTHONPATH": f"{site}:{ROOT}",
        "SECRET_KEY": env["SECRET_KEY"],
        "DATABASE_URL": fresh_database(config, stock_db),
        "REDIS_URL": redis_url.replace("/0", f"/{kind.redis_db}"),
        "STOCK_HASHER": kind.hasher,
        "BENCH_QUERY_COUNT": "1",
        "SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE": env["SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE"],
        "SIGN_IN_FAILURES_PER_IP_PER_MINUTE": env["SIGN_IN_FAILURES_PER_IP_PER_MINUTE"],
        "WEB_CONCURRENCY": env["WEB_CONCURRENCY"],
        "WEB_THREADS": env["WEB_THREADS"],
        "BIND": f"127.0.0.1:{config.port + kind.port_offset}",
    }
    run([python, "manage.py", "migrate", "--noinput", "-v", "0"], stock_env, cwd=site)
    run([python, "stock_seed.py", str(config.accounts)], stock_env, cwd=site)
    stack.start(
        kind.name,
        web_server(python, stock_env, "django.core.wsgi:get_wsgi_application", factory=True),
        stock_env,
        cwd=site,
    )
    wait_for(f"http://127.0.0.1:{config.port + kind.port_offset}/accounts/login/", stack, kind.name)
    return CpuMeter(config, stock_db, stack.processes[kind.name].pid, None)


if __name__ == "__main__":
    main()
