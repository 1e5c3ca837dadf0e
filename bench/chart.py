"""Draws latency against load for every scenario: `python bench/chart.py latest.json out.png`.

Runs in .venv-bench (matplotlib), apart from the portal's environment."""

import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(source: str, target: str) -> None:
    with open(source) as file:
        results = json.load(file)
    series = [("portal", r) for r in results["portal"].values() if "saturation_per_second" in r]
    series += [("stock allauth", r) for r in results["stock"].values()]
    columns = 4
    rows = math.ceil(len(series) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    for axis, (site, result) in zip(axes.flat, series, strict=False):
        phases = [p for p in result["phases"] if p["offered_per_second"] and p["p50_ms"]]
        phases.sort(key=lambda p: p["achieved_per_second"])
        rate = [p["achieved_per_second"] for p in phases]
        for key, style in (("p50_ms", "o-"), ("p95_ms", "s--"), ("p99_ms", "^:")):
            axis.plot(rate, [p[key] for p in phases], style, label=key.split("_")[0])
        axis.axvline(result["saturation_per_second"], color="grey", lw=0.8, label="saturation")
        axis.set_title(f"{result['title']}\n({site})", fontsize=9)
        axis.set_xlabel("operations / s")
        axis.set_ylabel("latency, ms")
        axis.set_xlim(left=0)
        axis.set_ylim(bottom=0)
        axis.legend(fontsize=7)
    for axis in list(axes.flat)[len(series) :]:
        axis.axis("off")
    figure.suptitle(f"Latency against load ({results['run']['started']})")
    figure.tight_layout()
    figure.savefig(target, dpi=80)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
