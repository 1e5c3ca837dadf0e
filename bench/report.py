"""Results: bench/results/latest.json, latest.md (the table and the goals) and latency.png."""

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHART_PYTHON = ROOT / ".venv-bench" / "bin" / "python"


def latency_summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99)}


def phase_summary(phase) -> dict:
    return {
        "load": phase.load,
        "offered_per_second": round(phase.offered_rate, 2) if phase.offered_rate else None,
        "achieved_per_second": round(phase.throughput, 2),
        "completed": phase.completed,
        "errors": phase.errors,
        "first_errors": phase.first_errors,
        **latency_summary(phase.latencies),
    }


def phase(result: dict, load: str) -> dict:
    return next((p for p in result["phases"] if p["load"] == load), {})


def one_line(result: dict) -> str:
    """A progress line per scenario."""
    half = phase(result, "50%")
    errors = sum(p["errors"] for p in result["phases"])
    return (
        f"  {result['title']:<34} {result['saturation_per_second']:8.1f}/s  "
        f"p95@50% {half.get('p95_ms')} ms  errors {errors}"
    )


def _queries(result: dict) -> str:
    counts = result["queries_per_request"]
    if not counts:
        return "-"
    return ", ".join(
        f"{v['min']}" if v["min"] == v["max"] else f"{v['min']}-{v['max']}" for v in counts.values()
    )


def _cpu(result: dict) -> str:
    cpu = result.get("cpu_ms_per_operation_at_80")
    if not cpu:
        return "-"
    server = cpu["web"] + cpu["database"] + cpu["worker"]
    return f"{server:.1f} ({cpu['load_generator']:.1f})"


def _server_cpu(result: dict) -> str:
    cpu = result.get("cpu_ms_per_operation_at_80")
    return f"{cpu['web'] + cpu['database'] + cpu['worker']:.1f}" if cpu else "-"


def _hash_share(result: dict, run: dict) -> str:
    cpu = result.get("cpu_ms_per_operation_at_80")
    if not cpu:
        return "-"
    hash_ms = sum(run["hash_cpu_ms"]) / 2
    total = sum(cpu.values())
    return (
        f"{hash_ms:.1f} ms of {total:.1f} ms (web {cpu['web']:.1f}, database "
        f"{cpu['database']:.1f}, load generator {cpu['load_generator']:.1f}) "
        f"= {hash_ms / total:.2f}"
    )


# The stock site beside the default one, hashing with the portal's Argon2id parameters.
SAME_HASH = " with the portal's Argon2id"


def goals(results: dict) -> list[tuple[str, str, bool | None]]:
    """The issue's goals, each with what was measured; none when a scenario was left out."""
    needed = {"sign_in", "sign_in_totp", "account_page", "security_log_1", "security_log_50"}
    needed |= {"locations", "poll_empty", "sms"}
    if not needed <= set(results["portal"]):
        return []
    portal, stock, run = results["portal"], results["stock"], results["run"]
    rate = {key: value["saturation_per_second"] for key, value in portal.items() if key != "mixed"}
    cores = run["cores"]
    ceiling = run["hash_ceiling_per_second"]
    half = {key: phase(value, "50%") for key, value in portal.items()}
    rows = [
        (
            "Password sign-in >= 0.8 of the hash ceiling",
            f"{rate['sign_in']:.1f}/s / {ceiling:.1f}/s = {rate['sign_in'] / ceiling:.2f}",
            rate["sign_in"] / ceiling >= 0.8,
        ),
        (
            "Password sign-in: share of its CPU spent hashing (what the ratio above would be "
            "with the cores to itself)",
            _hash_share(portal["sign_in"], run),
            None,
        ),
        (
            "Password sign-in >= 30/s per core",
            f"{rate['sign_in'] / cores:.1f}/s per core",
            rate["sign_in"] / cores >= 30,
        ),
        (
            "Sign-in with TOTP >= 0.9 of password-only",
            f"{rate['sign_in_totp'] / rate['sign_in']:.2f}",
            rate["sign_in_totp"] / rate["sign_in"] >= 0.9,
        ),
    ]
    for key in ("account_page", "security_log_1", "security_log_50"):
        p95 = half[key].get("p95_ms")
        rows.append(
            (
                f"{portal[key]['title']}: p95 < 50 ms at 50 %",
                f"{p95} ms",
                p95 is not None and p95 < 50,
            )
        )
    one = portal["security_log_1"]["queries_per_request"].get("GET /account/security-log/", {})
    fifty = portal["security_log_50"]["queries_per_request"].get("GET /account/security-log/", {})
    rows.append(
        (
            "Security log: same queries for 1 and 50 events",
            f"{one.get('min')} and {fifty.get('min')} (one more now and then: the session's "
            "periodic save)",
            bool(one) and one.get("min") == fifty.get("min"),
        )
    )
    rows.append(
        ("Location report >= 400/s", f"{rate['locations']:.0f}/s", rate["locations"] >= 400)
    )
    poll_queries = portal["poll_empty"]["queries_per_request"].get(
        "GET /api/v1/device/commands/", {}
    )
    rows.append(
        (
            "Empty command poll >= 1,000/s with <= 1 query",
            f"{rate['poll_empty']:.0f}/s, {poll_queries.get('max')} query",
            rate["poll_empty"] >= 1000 and poll_queries.get("max") == 1,
        )
    )
    delivery = portal["sms"].get("delivery", {})
    rows.append(
        (
            "SMS enqueue to receipt p95 < 100 ms at 50/s",
            f"{delivery.get('p95_ms')} ms ({delivery.get('messages')} messages, "
            f"{delivery.get('not_received')} not received)",
            delivery.get("p95_ms") is not None
            and delivery["p95_ms"] < 100
            and not delivery.get("not_received"),
        )
    )
    same_hash = results.get("stock_argon2", {})
    compared = [(key, theirs, "") for key, theirs in stock.items()]
    compared += [(key, theirs, SAME_HASH) for key, theirs in same_hash.items()]
    for key, theirs, which in compared:
        ours = portal[key]["saturation_per_second"]
        rows.append(
            (
                f"{portal[key]['title']} at least as fast as stock allauth{which}",
                f"{ours:.1f}/s vs {theirs['saturation_per_second']:.1f}/s "
                f"(x{ours / theirs['saturation_per_second']:.2f}); server CPU per operation "
                f"{_server_cpu(portal[key])} vs {_server_cpu(theirs)} ms",
                ours >= theirs["saturation_per_second"],
            )
        )
    return rows


def markdown(results: dict) -> str:
    run = results["run"]
    a = run["argon2"]
    lines = [
        f"# Benchmark results ({run['started']})",
        "",
        f"{run['cores']} cores ({run['cpu']}), {run['server']['name']} "
        f"{run['server']['workers']} workers x {run['server']['threads']} threads, Celery worker "
        f"{run.get('celery_pool', 'prefork')} x{run['celery_concurrency']}, "
        f"{run['accounts']} accounts and {run['devices']} devices, "
        f"{run['seconds_per_phase']:g} s per phase{' (quick mode)' if run['quick'] else ''}. "
        f"Argon2id {a['memory_kib']} KiB, t={a['time_cost']}, p={a['parallelism']}: one hash "
        f"{run['hash_cpu_ms'][0]} / {run['hash_cpu_ms'][1]} ms CPU (before / after the portal's "
        f"scenarios), hash ceiling {run['hash_ceiling_per_second']:.1f}/s. Load average at the end "
        f"{', '.join(f'{x:.1f}' for x in run['load_average_at_end'])}: the machine is shared, so "
        "absolute numbers are context; the ratios are what count. The load generator runs on the "
        "same cores (its CPU per operation is in brackets): "
        + (
            "wrk finds the saturating rate of every scenario made of fixed requests "
            "(bench/wrk.py), aiohttp runs the 50 % and 80 % phases, sign-up, SMS and the mixed "
            "load."
            if run.get("generator") == "wrk"
            else "aiohttp (wrk is not installed)."
        ),
        "",
        "| scenario | saturation /s | p50 / p95 / p99 ms at 50 % | p50 / p95 / p99 ms at 80 % "
        "| server CPU ms/op (generator) | SQL queries/request | errors | stock allauth /s |",
        "|---|---:|---|---|---:|---|---:|---:|",
    ]
    for key, result in results["portal"].items():
        if key == "mixed":
            continue
        half, most = phase(result, "50%"), phase(result, "80%")
        errors = sum(p["errors"] for p in result["phases"])
        theirs = results["stock"].get(key)
        lines.append(
            f"| {result['title']} | {result['saturation_per_second']:.1f} "
            f"| {half.get('p50_ms')} / {half.get('p95_ms')} / {half.get('p99_ms')} "
            f"| {most.get('p50_ms')} / {most.get('p95_ms')} / {most.get('p99_ms')} "
            f"| {_cpu(result)} | {_queries(result)} | {errors} "
            f"| {f'{theirs["saturation_per_second"]:.1f}' if theirs else '-'} |"
        )
    delivery = results["portal"].get("sms", {}).get("delivery", {})
    mixed = results["portal"].get("mixed")
    if mixed:
        alone, under = mixed["phases"]
        lines += [
            "",
            f"{mixed['title']}: p50 / p95 / p99 {alone['p50_ms']} / {alone['p95_ms']} / "
            f"{alone['p99_ms']} ms alone, {under['p50_ms']} / {under['p95_ms']} / "
            f"{under['p99_ms']} ms under {mixed['sign_ins_per_second']:.1f} sign-ins/s.",
        ]
    lines += [
        "",
        "SMS delivery at 50/s, enqueue to the Twilio stand-in's receipt: "
        f"p50 {delivery.get('p50_ms')} ms, p95 {delivery.get('p95_ms')} ms, "
        f"p99 {delivery.get('p99_ms')} ms over {delivery.get('messages')} messages "
        f"({delivery.get('not_received')} not received).",
        "",
        "Stock allauth site, same stack and web server settings:",
        "",
        "| scenario | saturation /s | p50 / p95 / p99 ms at 50 % | server CPU ms/op (generator) "
        "| SQL queries/request | errors |",
        "|---|---:|---|---:|---|---:|",
    ]
    stock_rows = list(results["stock"].values())
    stock_rows += [
        result | {"title": result["title"] + SAME_HASH}
        for result in results.get("stock_argon2", {}).values()
    ]
    for result in stock_rows:
        half = phase(result, "50%")
        errors = sum(p["errors"] for p in result["phases"])
        lines.append(
            f"| {result['title']} | {result['saturation_per_second']:.1f} "
            f"| {half.get('p50_ms')} / {half.get('p95_ms')} / {half.get('p99_ms')} "
            f"| {_cpu(result)} | {_queries(result)} | {errors} |"
        )
    timing = results.get("existence") or {}
    if timing:
        lines += [
            "",
            "Answers about an existing account and about a number with none, in interleaved "
            "pairs, one request at a time (bench/existence.py):",
            "",
            "| request | existing, median ms | unknown, median ms | difference ms "
            "| existing slower in | SQL queries (existing / unknown) |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for result in timing.values():
            queries = result["queries"]
            lines.append(
                f"| {result['title']} | {result['existing_median_ms']} "
                f"| {result['unknown_median_ms']} | {result['difference_ms']} "
                f"| {result['existing_slower_in']} of {result['pairs']} "
                f"| {queries['existing']} / {queries['unknown']} |"
            )
    lines += parts_table(results.get("parts") or {})
    lines += ["", "## Goals", "", "| goal | measured | met |", "|---|---|---|"]
    lines += [
        f"| {goal} | {measured} | {'-' if met is None else 'yes' if met else '**no**'} |"
        for goal, measured, met in goals(results)
    ]
    lines += ["", "![latency against load](latency.png)", ""]
    return "\n".join(lines)


def parts_table(compared: dict) -> list[str]:
    """BENCH_COMPARE_PARTS=1 (bench/parts.py): each home-made part against Django's."""
    if not compared:
        return []
    lines = [
        "",
        "The portal's own parts against Django's, the web server started again with the part "
        "stock (`STOCK_PARTS`), own, stock, stock, own; closed-loop rates and web CPU per "
        "operation (warm-up included):",
        "",
        "| part (own vs stock) | scenario | own /s | stock /s | own / stock "
        "| web CPU ms/op own / stock | errors |",
        "|---|---|---|---|---:|---|---:|",
    ]
    for part, result in compared.items():
        for key, scenario in result["scenarios"].items():
            own_cpu = "/".join(f"{cpu['web']:.1f}" for cpu in scenario["own_cpu_ms"])
            stock_cpu = "/".join(f"{cpu['web']:.1f}" for cpu in scenario["stock_cpu_ms"])
            lines.append(
                f"| {part} (`{result['own']}` vs `{result['stock']}`) | {key} "
                f"| {', '.join(map(str, scenario['own_per_second']))} "
                f"| {', '.join(map(str, scenario['stock_per_second']))} "
                f"| {scenario['own_over_stock']} | {own_cpu} / {stock_cpu} "
                f"| {scenario.get('errors', '-')} |"
            )
    return lines


def write(results: dict, out: Path, *, charts: bool) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    results["goals"] = [
        {"goal": goal, "measured": measured, "met": met} for goal, measured, met in goals(results)
    ]
    data = out / "latest.json"
    data.write_text(json.dumps(results, indent=1, default=str) + "\n")
    table = out / "latest.md"
    table.write_text(markdown(results))
    written = [data, table]
    if charts:
        python = CHART_PYTHON if CHART_PYTHON.exists() else shutil.which("python3")
        chart = out / "latency.png"
        subprocess.run(
            [str(python), str(ROOT / "bench" / "chart.py"), str(data), str(chart)], check=True
        )
        written.append(chart)
    return written
