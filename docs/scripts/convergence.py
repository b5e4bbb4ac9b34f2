"""Convergence at equal evaluation budgets: best-so-far latency after a given number of design
evaluations, for each method (500 epochs each, seeds 0-2), relative to the exact optimum.
Usage: python docs/scripts/convergence.py [model] [dataflow]   (prints a Markdown table;
with matplotlib installed also writes convergence.png)"""

from __future__ import annotations

import sys

import numpy as np

import confuciux as cx

BUDGETS = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)


def best_at(history: list[dict[str, float]], evals: int) -> float:
    seen = [h["best"] for h in history if h["evaluations"] <= evals and np.isfinite(h["best"])]
    return min(seen) if seen else float("nan")


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "mobilenet_v2"
    df = sys.argv[2] if len(sys.argv) > 2 else "dla"
    model = cx.zoo.load(name)
    pl = cx.Platform.confuciux(model, df, "area", 0.5)
    opt = cx.Explorer(model, pl, "latency", "exact").run().objective_value
    print(f"{name}, {df}, latency, area budget mul 0.5, default hardware; optimum {opt:,.0f} cycles")
    print("| method | " + " | ".join(f"{b:,} evals" for b in BUDGETS) + " | final | evaluations used |")
    print("|---|" + "---|" * (len(BUDGETS) + 2))
    curves = {}
    for method in ("confuciux", "rl", "ga", "anneal", "random"):
        runs = [cx.Explorer(model, pl, "latency", method, 500, seed=s).run() for s in range(3)]
        cells = []
        for b in BUDGETS:
            vals = [best_at(r.history, b) for r in runs]
            med = float(np.median(vals))
            cells.append("–" if not np.isfinite(med) else f"+{100 * (med / opt - 1):.1f} %")
        final = float(np.median([r.objective_value for r in runs]))
        evals = int(np.median([r.evaluations for r in runs]))
        print(f"| {method} | " + " | ".join(cells) + f" | +{100 * (final / opt - 1):.2f} % | {evals:,} |", flush=True)
        curves[method] = runs[0].history
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    for method, hist in curves.items():
        x = [h["evaluations"] for h in hist]
        y = [h["best"] / opt for h in hist]
        plt.semilogx(x, y, label=method)
    plt.ylim(0.99, 2.0)
    plt.xlabel("design evaluations")
    plt.ylabel("best latency / optimum")
    plt.legend()
    plt.savefig("convergence.png", dpi=120)


if __name__ == "__main__":
    main()
