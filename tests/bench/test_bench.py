"""`make bench` cannot rot: its quick mode runs end to end on a tiny seed (the real stack: the
production web server, granian, with production settings, a Celery worker, a Redis server of
its own, the Twilio stand-in, and the stock allauth site) and writes its JSON, table and chart."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            held = []
            for port in range(first, first + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return first
    raise AssertionError("no free ports")


def run_to_the_end(command: list[str], *, env: dict, timeout: float):
    """Run the bench in a process group of its own; past `timeout`, stop the whole group (the
    web server, worker and stand-ins it started too, which would otherwise outlive it and hold
    PostgreSQL's connections), then fail."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            stdout, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        raise AssertionError(
            f"the bench ran past {timeout} s:\n{stdout[-3000:]}{stderr[-3000:]}"
        ) from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_quick_bench_runs_every_scenario_without_errors(tmp_path):
    db = settings.DATABASES["default"]
    env = os.environ | {
        "BENCH_PORT": str(free_ports(4)),
        "BENCH_REDIS_PORT": str(free_ports(1)),
        "BENCH_PG": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}",
        # Databases of this run's own (the bench drops and creates them by name).
        "BENCH_DB_PREFIX": f"{db['NAME']}_bench_{secrets.token_hex(4)}",
        "BENCH_SECONDS": "0.5",
        "BENCH_WARMUP": "0.2",
        "BENCH_ACCOUNTS": "300",
    }
    env.pop("BENCH_SCENARIOS", None)
    env.pop("BENCH_SERVER", None)
    run = run_to_the_end(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(tmp_path)],
        env=env,
        # About two minutes alone; on a busy machine each scenario also waits (up to 20 s) for
        # the cores to settle before it starts.
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    results = json.loads((tmp_path / "latest.json").read_text())
    scenarios = {
        **results["portal"],
        **{f"stock {k}": v for k, v in results["stock"].items()},
        **{f"stock_argon2 {k}": v for k, v in results["stock_argon2"].items()},
    }
    assert {"sign_in", "sign_in_totp", "sign_up", "sms", "poll_empty", "mixed"} <= set(scenarios)
    assert {"stock sign_in", "stock signup_page", "stock account_page"} <= set(scenarios)
    assert "stock_argon2 sign_in" in scenarios
    for name, scenario in scenarios.items():
        for phase in scenario["phases"]:
            assert phase["completed"] > 0, (name, phase)
            assert phase["errors"] == 0, (name, phase)
    assert (
        results["portal"]["poll_empty"]["queries_per_request"]["GET /api/v1/device/commands/"][
            "max"
        ]
        <= 2
    )  # the token lookup, and once a minute the device's last-seen time
    delivery = results["portal"]["sms"]["delivery"]
    assert delivery["messages"] > 0 and delivery["not_received"] == 0
    assert results["run"]["hash_ceiling_per_second"] > 0
    assert results["run"]["server"]["name"] == "granian"  # production's, and wrk's scripts read
    # its lower-case header names (no sign-in above counted as an error)
    if shutil.which("wrk"):  # installed by .ci/run: its scripts are exercised here too
        assert results["run"]["generator"] == "wrk"
        for key in ("sign_in", "sign_in_totp", "poll_empty", "locations", "account_page"):
            assert results["portal"][key]["phases"][0]["load"].endswith("(wrk)"), key
    assert "## Goals" in (tmp_path / "latest.md").read_text()
    assert (tmp_path / "latency.png").read_bytes().startswith(b"\x89PNG")
