"""`BENCH_COMPARE_PARTS=1`: each of the portal's own replacements of a stock Django part against
Django's part, in the same run.

For each part (`STOCK_PARTS` in config/settings/base.py) the portal's web server is started
again with that part stock, and the scenarios the part touches run on both: own, stock, stock,
own (the second pair in reverse order, so that a machine speeding up or slowing down over the
part's minutes favours neither). Each run is the scenario's closed loop (its saturating rate)
after the stack has settled, with the CPU it took; the ratio is the portal's part's rate over
Django's (above 1: the portal's part wins). The Celery worker keeps the portal's parts: the
SMS delivery's statements are not measured here.
"""

import os
from collections.abc import Awaitable, Callable
from statistics import mean

# The scenarios each part touches (keys of latest.json's "portal"); quick mode runs the first.
PARTS: dict[str, tuple[str, ...]] = {
    "sessions": ("sign_in", "account_page", "security_log_1"),
    "cache": ("sign_in", "signup_page", "account_page"),
    "db": ("poll_empty", "account_page", "sign_in"),
    "middleware": ("poll_empty", "locations"),
    "renderer": ("signup_page",),
    "sql": ("sign_in", "poll_empty", "locations", "signup_page"),
}
# What each part is, the portal's and Django's.
WHAT = {
    "sessions": ("config.sessions", "django.contrib.sessions.backends.db"),
    "cache": ("config.cache.ResilientRedisCache", "django.core.cache.backends.redis.RedisCache"),
    "db": ("config.postgresql", "django.db.backends.postgresql"),
    "middleware": ("config.lean.LeanPathsMiddleware", "the full chain for every path"),
    "renderer": ("config.renderers.FormRenderer", "django.forms.renderers.TemplatesSetting"),
    "sql": ("the written-out statements", "the ORM (settings.STOCK_SQL)"),
}
ORDER = ("own", "stock", "stock", "own")


def wanted() -> bool:
    return os.environ.get("BENCH_COMPARE_PARTS") == "1"


Measure = Callable[[str], Awaitable[dict]]  # scenario key -> {"rate": /s, "cpu_ms": ...}
Restart = Callable[[str], Awaitable[None]]  # STOCK_PARTS value ("" for the portal's own)


async def compare(available: set[str], quick: bool, measure: Measure, restart: Restart) -> dict:
    """Every part's scenarios, own and stock interleaved; the portal's own parts at the end."""
    results: dict = {}
    running = ""
    for part, keys in PARTS.items():
        chosen = [key for key in keys if key in available][: 1 if quick else None]
        if not chosen:
            continue
        runs: dict = {key: {"own": [], "stock": []} for key in chosen}
        for side in ORDER:
            wanted_parts = part if side == "stock" else ""
            if wanted_parts != running:
                await restart(wanted_parts)
                running = wanted_parts
            for key in chosen:
                runs[key][side].append(await measure(key))
        results[part] = {
            "own": WHAT[part][0],
            "stock": WHAT[part][1],
            "scenarios": {key: summary(sides) for key, sides in runs.items()},
        }
        print(line(part, results[part]), flush=True)
    if running:
        await restart("")
    return results


def summary(sides: dict[str, list[dict]]) -> dict:
    own = mean(run["rate"] for run in sides["own"])
    stock = mean(run["rate"] for run in sides["stock"])
    return {
        "own_per_second": [round(run["rate"], 1) for run in sides["own"]],
        "stock_per_second": [round(run["rate"], 1) for run in sides["stock"]],
        "own_cpu_ms": [run["cpu_ms"] for run in sides["own"]],
        "stock_cpu_ms": [run["cpu_ms"] for run in sides["stock"]],
        "own_over_stock": round(own / stock, 3) if stock else None,
        "errors": sum(run["errors"] for side in sides.values() for run in side),
    }


def line(part: str, result: dict) -> str:
    ratios = ", ".join(
        f"{key} x{scenario['own_over_stock']}" for key, scenario in result["scenarios"].items()
    )
    return f"  part {part}: own over stock {ratios}"
