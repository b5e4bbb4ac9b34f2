"""Gap to the exact optimum of the default 500-epoch ConfuciuX search, per model, dataflow,
hardware preset and objective, under ConfuciuX's area budget at mul 0.5.

Usage: python docs/scripts/gap_sweep.py [seeds]   (default seeds: 0)
Prints one CSV row per run: model, hardware, dataflow, objective, seed, optimum, found, gap %,
feasible, seconds of the search, seconds of the exact solver.
"""

from __future__ import annotations

import sys

import confuciux as cx

MODELS = ("mobilenet_v2", "mnasnet", "resnet50", "vgg16")


def main() -> None:
    seeds = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "0").split(",")]
    print("model,hardware,dataflow,objective,seed,optimum,found,gap_percent,feasible,seconds,exact_seconds")
    for name in MODELS:
        model = cx.zoo.load(name)
        for hw in (cx.Hardware.maestro(), cx.Hardware.default()):
            for df in ("dla", "shi", "eye"):
                platform = cx.Platform.confuciux(model, df, "area", 0.5, hw)
                for objective in ("latency", "energy"):
                    exact = cx.Explorer(model, platform, objective, "exact").run()
                    for seed in seeds:
                        r = cx.Explorer(model, platform, objective, "confuciux", 500, seed=seed).run()
                        gap = 100 * (r.objective_value / exact.objective_value - 1)
                        print(f"{name},{hw.name},{df},{objective},{seed},{exact.objective_value:.10g},"
                              f"{r.objective_value:.10g},{gap:.4f},{r.feasible},{r.seconds:.2f},{exact.seconds:.3f}",
                              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
