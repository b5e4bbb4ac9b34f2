"""Gap of the default 500-epoch ConfuciuX search to the exact optimum over the integer box
(P 1..128 × k 1..12), per model, budget multiplier and objective, worst of the given seeds.

Usage: python docs/scripts/box_gap.py [models] [muls] [seeds]
       (defaults: the zoo's CNNs, 0.2,0.5,0.8, 0,1,2; dla, Hardware.default(), area budget)
Prints a Markdown table, one row per (model, mul), then the worst gaps.
"""

from __future__ import annotations

import sys

import confuciux as cx

CNNS = ("alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "mnasnet", "googlenet", "squeezenet",
        "shufflenet_v2")  # fmt: skip


def _arg(i: int, default: str) -> list[str]:
    return (sys.argv[i] if len(sys.argv) > i else default).split(",")


def main() -> None:
    models, muls, seeds = _arg(1, ",".join(CNNS)), [float(m) for m in _arg(2, "0.2,0.5,0.8")], [int(s) for s in _arg(3, "0,1,2")]
    print("| model | mul | latency optimum (cycles) | latency gap, worst seed | energy optimum (nJ) | energy gap, worst seed | search s (median) |")
    print("|---|---|---|---|---|---|---|")
    worst = {"latency": 0.0, "energy": 0.0}
    for name in models:
        model = cx.zoo.load(name)
        for mul in muls:
            pl = cx.Platform.confuciux(model, "dla", "area", mul)
            cells, secs = [], []
            for objective in ("latency", "energy"):
                exact = cx.Explorer(model, pl, objective, "exact").run()
                assert exact.gap == 0, (name, mul, objective, exact.gap)
                gaps = []
                for seed in seeds:
                    r = cx.Explorer(model, pl, objective, "confuciux", 500, seed=seed).run()
                    assert r.feasible
                    gaps.append(100 * (r.objective_value / exact.objective_value - 1))
                    secs.append(r.seconds)
                worst[objective] = max(worst[objective], max(gaps))
                cells += [f"{exact.objective_value:,.0f}", f"{max(gaps):.4f} %"]
            secs.sort()
            print(f"| {name} | {mul:g} | " + " | ".join(cells) + f" | {secs[len(secs) // 2]:.2f} |", flush=True)
    print(f"\nworst latency gap {worst['latency']:.4f} %, worst energy gap {worst['energy']:.4f} %")


if __name__ == "__main__":
    main()
