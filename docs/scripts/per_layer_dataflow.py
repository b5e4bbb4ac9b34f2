"""How much per-layer dataflow choice gains over the best single dataflow.

docs/results.md, "Per-layer dataflow choice".

For each model: every single dataflow gets its ConfuciuX area budget at mul 0.5 and is solved
exactly over the box; the best of them (least objective) fixes the absolute area budget B.  At B,
every single dataflow and the per-layer choice over all three (``Platform(("dla", "shi",
"eye"))``) are solved exactly; the gain is 1 − union / best single at B.

With ``--search``: the default 500-epoch ``confuciux`` run over the union instead, seeds 0-2, its
gap to the union's exact optimum (the same budget B, and the edge FPGA's two budgets).

With ``--allow-impossible``: ConfuciuX's setting, every number MAESTRO prints (physically
impossible designs included).

Usage: python docs/scripts/per_layer_dataflow.py [--energy] [--search] [--allow-impossible] [model ...]
(prints a Markdown table; latency in cycles, or energy in nJ with --energy)
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections import Counter

import confuciux as cx
from confuciux import Explorer, Platform

ALL = ("dla", "shi", "eye")
ALLOW = "--allow-impossible" in sys.argv
DEFAULT = ("alexnet", "vgg16", "resnet18", "resnet50", "googlenet", "mobilenet_v2", "mnasnet", "squeezenet")


def row(name: str, objective: str = "latency") -> str:
    model = cx.zoo.load(name)
    own = {d: Platform.confuciux(model, d, "area", 0.5, allow_impossible=ALLOW) for d in ALL}
    at_own = {d: Explorer(model, own[d], objective, "exact").run().objective_value for d in ALL}
    ref = min(ALL, key=lambda d: at_own[d])
    budgets = dict(own[ref].budgets)
    single = {d: Explorer(model, Platform(d, budgets=budgets, allow_impossible=ALLOW), objective, "exact").run()
              for d in ALL}  # fmt: skip
    best = min(ALL, key=lambda d: single[d].objective_value if single[d].feasible else float("inf"))
    t = time.perf_counter()
    union = Explorer(model, Platform(ALL, budgets=budgets, allow_impossible=ALLOW), objective, "exact").run()
    seconds = time.perf_counter() - t
    assert union.feasible and union.lower_bound == union.objective_value  # proven optimal
    conv = [d for d, layer in zip(union.dataflows, model, strict=True) if not layer.depthwise]
    mix = Counter(conv)
    gain = 1 - union.objective_value / single[best].objective_value
    return (f"| {name} | {len(model)} | {ref} | {budgets['area']:.4g} | "
            + " | ".join(f"{single[d].objective_value:,.0f}" if single[d].feasible else "—" for d in ALL)
            + f" | {union.objective_value:,.0f} | {100 * gain:.1f} % | "
            + ", ".join(f"{d} {mix[d]}" for d in ALL if mix[d]) + f" | {seconds:.1f} |")


def search_rows(name: str, objective: str = "latency") -> list[str]:
    model = cx.zoo.load(name)
    own = {d: Platform.confuciux(model, d, "area", 0.5, allow_impossible=ALLOW) for d in ALL}
    ref = min(ALL, key=lambda d: Explorer(model, own[d], objective, "exact").run().objective_value)
    rows = []
    for label, platform in ((f"area of {ref} x0.5", Platform(ALL, budgets=dict(own[ref].budgets),
                                                            allow_impossible=ALLOW)),
                            ("edge FPGA", dataclasses.replace(Platform.edge_fpga(ALL),
                                                              allow_impossible=ALLOW))):  # fmt: skip
        best = Explorer(model, platform, objective, "exact").run()
        gaps, seconds = [], []
        for seed in range(3):
            t = time.perf_counter()
            r = Explorer(model, platform, objective, "confuciux", seed=seed).run()
            seconds.append(time.perf_counter() - t)
            gaps.append(r.objective_value / best.objective_value - 1 if r.feasible else float("inf"))
        proven = "" if best.lower_bound == best.objective_value else " (bound)"
        rows.append(f"| {name} | {label} | {best.objective_value:,.6g}{proven} | "
                    + " | ".join(f"{100 * g:.3f} %" for g in gaps) + f" | {max(seconds):.1f} |")
    return rows


def main(names: list[str], objective: str) -> None:
    print("| model | layers | best at own mul 0.5 | area budget (µm²) | dla | shi | eye | per-layer | gain "
          "| non-depthwise layers per dataflow | exact (s) |")
    print("|---|--:|---|--:|--:|--:|--:|--:|--:|---|--:|")
    for name in names:
        print(row(name, objective), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    objective = "energy" if "--energy" in args else "latency"
    models = [a for a in args if not a.startswith("--")] or list(DEFAULT)
    if "--search" in args:
        print("| model | budget | optimum | seed 0 | seed 1 | seed 2 | slowest run (s) |")
        print("|---|---|--:|--:|--:|--:|--:|")
        for name in models:
            print("\n".join(search_rows(name, objective)), flush=True)
    else:
        main(models, objective)
