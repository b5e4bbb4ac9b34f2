"""Which dataflow suits each zoo model — compared fairly, at one absolute area budget per model.

For each model: the budget is dla's ConfuciuX area budget at mul 0.5 (computed once), every
dataflow is solved exactly under it (latency, layer-pipelined, default hardware), and the table
gives each dataflow's latency relative to the best.  The last columns show how different the
per-dataflow relative budgets (the same mul) would have been, and which dataflow that unfair
comparison would have picked, with its margin over the runner-up.

With ``--allow-impossible``: ConfuciuX's setting, every number MAESTRO prints (eye's designs that
run below the compute bound included).

Usage: python docs/scripts/dataflow_table.py [--allow-impossible]
"""

from __future__ import annotations

import sys
import time

import confuciux as cx
from confuciux.compare import compare_dataflows

MODELS = ("alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "mnasnet", "shufflenet_v2", "squeezenet",
          "googlenet", "gnmt", "ncf")  # fmt: skip


ALLOW = "--allow-impossible" in sys.argv


def main() -> None:
    print(
        "| model | area budget (µm²) | dla | shi | eye | best | shi / eye relative budget vs dla's "
        "| best at relative budgets (margin) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for name in MODELS:
        c = compare_dataflows(cx.zoo.load(name), ("dla", "shi", "eye"), mul=0.5, allow_impossible=ALLOW)
        best = c.results[c.best].objective_value if c.best else float("nan")
        cells = []
        for d in ("dla", "shi", "eye"):
            r = c.results[d]
            cells.append(f"×{r.objective_value / best:.3f}" if r.feasible else "infeasible")
        ref = c.budgets["area"]
        rel = " / ".join(f"{100 * (c.relative_budgets[d]['area'] / ref - 1):+.1f} %" for d in ("shi", "eye"))
        print(f"| {name} | {ref:,.0f} | " + " | ".join(cells) + f" | {c.best} | {rel} | {_unfair(name)} |", flush=True)
    print(f"\n{len(MODELS) * 6} exact solves in {time.perf_counter() - start:.1f} s")


def _unfair(name: str) -> str:
    """The per-dataflow relative budgets (Platform.confuciux with the same mul): the best and
    its margin over the second."""
    model = cx.zoo.load(name)
    values = {}
    for d in ("dla", "shi", "eye"):
        r = cx.Explorer(model, cx.Platform.confuciux(model, d, "area", 0.5, allow_impossible=ALLOW), method="exact").run()
        values[d] = r.objective_value if r.feasible else float("inf")
    order = sorted(values, key=lambda d: values[d])
    return f"{order[0]} ({100 * (values[order[1]] / values[order[0]] - 1):.1f} %)"


if __name__ == "__main__":
    main()
