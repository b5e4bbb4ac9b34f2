"""How much per-layer dataflow choice gains over the best single dataflow.

docs/results.md, "Per-layer dataflow choice".

For each model: every single dataflow gets its ConfuciuX area budget at mul 0.5 and is solved
exactly over the box; the best of them (least objective) fixes the absolute area budget B.  At B,
every single dataflow and the per-layer choice over all three (``Platform(("dla", "shi",
"eye"))``) are solved exactly; the gain is 1 − union / best single at B.

Usage: python docs/scripts/per_layer_dataflow.py [--energy] [model ...]   (prints a Markdown table;
latency in cycles, or energy in nJ with --energy)
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import confuciux as cx
from confuciux import Explorer, Platform

ALL = ("dla", "shi", "eye")
DEFAULT = ("alexnet", "vgg16", "resnet18", "resnet50", "googlenet", "mobilenet_v2", "mnasnet", "squeezenet")


def row(name: str, objective: str = "latency") -> str:
    model = cx.zoo.load(name)
    own = {d: Platform.confuciux(model, d, "area", 0.5) for d in ALL}
    at_own = {d: Explorer(model, own[d], objective, "exact").run().objective_value for d in ALL}
    ref = min(ALL, key=lambda d: at_own[d])
    budgets = dict(own[ref].budgets)
    single = {d: Explorer(model, Platform(d, budgets=budgets), objective, "exact").run() for d in ALL}
    best = min(ALL, key=lambda d: single[d].objective_value if single[d].feasible else float("inf"))
    t = time.perf_counter()
    union = Explorer(model, Platform(ALL, budgets=budgets), objective, "exact").run()
    seconds = time.perf_counter() - t
    assert union.feasible and union.lower_bound == union.objective_value  # proven optimal
    conv = [d for d, layer in zip(union.dataflows, model, strict=True) if not layer.depthwise]
    mix = Counter(conv)
    gain = 1 - union.objective_value / single[best].objective_value
    return (f"| {name} | {len(model)} | {ref} | {budgets['area']:.4g} | "
            + " | ".join(f"{single[d].objective_value:,.0f}" if single[d].feasible else "—" for d in ALL)
            + f" | {union.objective_value:,.0f} | {100 * gain:.1f} % | "
            + ", ".join(f"{d} {mix[d]}" for d in ALL if mix[d]) + f" | {seconds:.1f} |")


def main(names: list[str], objective: str) -> None:
    print("| model | layers | best at own mul 0.5 | area budget (µm²) | dla | shi | eye | per-layer | gain "
          "| non-depthwise layers per dataflow | exact (s) |")
    print("|---|--:|---|--:|--:|--:|--:|--:|--:|---|--:|")
    for name in names:
        print(row(name, objective), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    energy = "--energy" in args
    main([a for a in args if a != "--energy"] or list(DEFAULT), "energy" if energy else "latency")
