"""Convergence of the search methods on one model, relative to the exact optimum.

Two tables (Markdown, medians over seeds 0-2):
1. equal evaluation budgets: best-so-far latency once a method has spent 10^2 … 10^6 design
   evaluations (from ``Result.improvements``); each method runs long enough to spend about
   10^6, except RL, one evaluation per episode (5,000 episodes);
2. the default run (500 epochs): final gap, evaluations spent and seconds.
With matplotlib installed it also writes docs/convergence.png (best-so-far vs evaluations, seed 0).

Usage: python docs/scripts/convergence.py [model] [dataflow]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import confuciux as cx

BUDGETS = (100, 1_000, 10_000, 100_000, 1_000_000)
METHODS = ("confuciux", "rl", "ga", "anneal", "random")
LONG_EPOCHS = {"confuciux": 5_000, "rl": 5_000, "ga": 5_000, "anneal": 50_000, "random": 50_000}
SEEDS = (0, 1, 2)


def best_at(result: cx.Result, evals: int) -> float:
    """Best feasible objective after ``evals`` evaluations; NaN if none yet, None if the run
    ended before spending that many."""
    if result.evaluations < evals:
        return None  # type: ignore[return-value]
    seen = [h["best"] for h in result.improvements if h["evaluations"] <= evals]
    return seen[-1] if seen else float("nan")


def pct(value: float, opt: float) -> str:
    return f"+{100 * (value / opt - 1):.2f} %"


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "mobilenet_v2"
    df = sys.argv[2] if len(sys.argv) > 2 else "dla"
    model = cx.zoo.load(name)
    pl = cx.Platform.confuciux(model, df, "area", 0.5)
    opt = cx.Explorer(model, pl, "latency", "exact").run().objective_value
    print(f"{name}, {df}, latency, area budget mul 0.5, default hardware; optimum {opt:,.0f} cycles\n")
    print("| method (epochs) | " + " | ".join(f"{b:,} evals" for b in BUDGETS) + " |")
    print("|---|" + "---|" * len(BUDGETS))
    curves = {}
    for method in METHODS:
        runs = [cx.Explorer(model, pl, "latency", method, LONG_EPOCHS[method], seed=s).run() for s in SEEDS]
        cells = []
        for b in BUDGETS:
            vals = [best_at(r, b) for r in runs]
            if any(v is None for v in vals):
                cells.append("(run ended)")
            elif not np.all(np.isfinite(vals)):
                cells.append("no feasible design yet")
            else:
                cells.append(pct(float(np.median(vals)), opt))
        print(f"| {method} ({LONG_EPOCHS[method]:,}) | " + " | ".join(cells) + " |", flush=True)
        curves[method] = runs[0]
    print("\n| method, 500 epochs | final (median) | final (worst) | evaluations | seconds |")
    print("|---|---|---|---|---|")
    for method in METHODS:
        runs, secs = [], []
        for s in SEEDS:
            t = time.perf_counter()
            runs.append(cx.Explorer(model, pl, "latency", method, 500, seed=s).run())
            secs.append(time.perf_counter() - t)
        finals = [r.objective_value for r in runs]
        print(f"| {method} | {pct(float(np.median(finals)), opt)} | {pct(max(finals), opt)} | "
              f"{int(np.median([r.evaluations for r in runs])):,} | {np.median(secs):.2f} |", flush=True)  # fmt: skip
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    for method, r in curves.items():
        x = [h["evaluations"] for h in r.improvements] + [r.evaluations]
        y = [h["best"] / opt for h in r.improvements] + [r.objective_value / opt]
        plt.step(x, y, where="post", label=method)
    plt.xscale("log")
    plt.ylim(0.99, 2.0)
    plt.xlabel("design evaluations")
    plt.ylabel("best latency / optimum")
    plt.legend()
    plt.title(f"{name}, {df}, latency, area budget x0.5 (seed 0)")
    plt.savefig(Path(__file__).resolve().parent.parent / "convergence.png", dpi=110)


if __name__ == "__main__":
    main()
