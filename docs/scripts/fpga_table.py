"""The FPGA case study's table: ResNet-50 and MobileNet-V2 on the cloud and edge FPGA
platforms, dla, latency: heuristic vs RL alone vs RL+GA (confuciux) vs the exact solver.
Usage: python docs/scripts/fpga_table.py   (prints a Markdown table)"""

from __future__ import annotations

import confuciux as cx


def main() -> None:
    print("| model | platform | method | PEs used | L1 bytes used (Σ per-PE L1) | latency (cycles) | vs optimum bound |")
    print("|---|---|---|---|---|---|---|")
    for name in ("resnet50", "mobilenet_v2"):
        model = cx.zoo.load(name)
        for pl in (cx.Platform.cloud_fpga("dla"), cx.Platform.edge_fpga("dla")):
            exact = cx.Explorer(model, pl, "latency", "exact").run()
            bound = exact.lower_bound
            for method in ("heuristic", "rl", "confuciux", "exact"):
                r = exact if method == "exact" else cx.Explorer(model, pl, "latency", method, 500, seed=0).run()
                u = r.constraint_used
                gap = "" if bound is None or not r.feasible else f"+{100 * (r.objective_value / bound - 1):.2f} %"
                label = {"rl": "RL global search", "confuciux": "RL + GA (confuciux)", "heuristic": "heuristic (∝ MACs)",
                         "exact": "exact" + ("" if r.gap == 0 else " (Lagrangian: best feasible)")}[method]  # fmt: skip
                lat = f"{r.objective_value:,.0f}" if r.feasible else "infeasible"
                print(f"| {name} | {pl.name} | {label} | {u['pes']['used']:,.0f} / {u['pes']['budget']:,.0f} | "
                      f"{u['l1_bytes']['used']:,.0f} / {u['l1_bytes']['budget']:,.0f} | {lat} | {gap} |", flush=True)  # fmt: skip
            print(f"| {name} | {pl.name} | lower bound (certified) | | | {bound:,.0f} | |", flush=True)


if __name__ == "__main__":
    main()
