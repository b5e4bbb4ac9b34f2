"""The two-budget FPGA platforms over the integer box: gap of the default 500-epoch ConfuciuX
search to the exact optimum, worst of the given seeds, latency and energy.

Usage: python docs/scripts/fpga_box.py [models] [seeds]   (defaults: four CNNs, seeds 0,1,2)
Prints a Markdown table.
"""

from __future__ import annotations

import sys

import confuciux as cx


def main() -> None:
    models = (sys.argv[1] if len(sys.argv) > 1 else "mobilenet_v2,resnet50,googlenet,mnasnet").split(",")
    seeds = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "0,1,2").split(",")]
    print("| model | platform | objective | optimum | exact s | gap, worst seed | PEs / L1 used (worst seed) | search s (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in models:
        model = cx.zoo.load(name)
        for pl in (cx.Platform.cloud_fpga("dla"), cx.Platform.edge_fpga("dla")):
            for objective in ("latency", "energy"):
                exact = cx.Explorer(model, pl, objective, "exact").run()
                runs = [cx.Explorer(model, pl, objective, "confuciux", 500, seed=s).run() for s in seeds]
                assert all(r.feasible for r in runs)
                bad = max(runs, key=lambda r: r.objective_value)
                gap = 100 * (bad.objective_value / exact.objective_value - 1)
                proven = "" if exact.gap == 0 else f" (bound gap {100 * exact.gap:.3f} %)"
                u = bad.constraint_used
                secs = sorted(r.seconds for r in runs)
                print(f"| {name} | {pl.name} | {objective} | {exact.objective_value:,.0f}{proven} | {exact.seconds:.2f} | "
                      f"{gap:.4f} % | {u['pes']['fraction']:.1%} / {u['l1_bytes']['fraction']:.1%} | "
                      f"{secs[len(secs) // 2]:.2f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
