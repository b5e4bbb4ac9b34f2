"""The default search on the edge FPGA on real networks beyond the zoo, against the exact solver's
certified bound (docs/results.md, "Two budgets on imported networks").

Two steps; only the first needs PyTorch (no dependency of confuciux):

    python docs/scripts/fpga_networks.py export DIR [name ...]   # onnx_networks.py's modules → DIR/name.csv
    python docs/scripts/fpga_networks.py table DIR [name ...] [--seeds 0,1,2] [--objectives latency,energy]

``table`` runs ``Explorer(model, Platform.edge_fpga(), objective, "confuciux", 500, seed)`` for
each seed and ``method="exact"`` once, and prints one row per network and objective: the
certified bound, the gap of each seed to it, the worst, and the median search seconds.  A
network the edge FPGA cannot hold (its lightest design over a budget) gets one line saying so.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import confuciux as cx

#: The networks of onnx_networks.py the table covers by default (input sizes as published).
DEFAULT = ("efficientnet_b0", "inception_v3", "mobilenet_v3_large", "regnet_x_400mf", "shufflenet_v2_x1_0",
           "resnext50_32x4d", "resnet50", "mobilenet_v2", "densenet121", "convnext_tiny")  # fmt: skip


def export(directory: Path, names: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import onnx_networks  # needs torch

    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            model = onnx_networks.run(name, Path(tmp))[0]
            model.to_csv(directory / f"{name}.csv")
            print(f"{name}: {len(model)} layers, {model.macs / 1e9:.4f} GMACs", flush=True)


def table(directory: Path, names: list[str], seeds: list[int], objectives: list[str]) -> None:
    print("| network | layers | objective | certified bound | " + " | ".join(f"seed {s}" for s in seeds)
          + " | worst | search s (median) |")  # fmt: skip
    print("|---|--:|---|--:|" + "--:|" * len(seeds) + "--:|--:|")
    for name in names:
        model = cx.Model.from_csv(directory / f"{name}.csv", name=name)
        platform = cx.Platform.edge_fpga()
        for objective in objectives:
            exact = cx.Explorer(model, platform, objective, "exact").run()
            if not exact.feasible:
                print(f"| {name} | {len(model)} | {objective} | infeasible: {exact.reason} |")
                break
            bound = exact.lower_bound if exact.lower_bound is not None else exact.objective_value
            gaps, secs = [], []
            for seed in seeds:
                t = time.perf_counter()
                r = cx.Explorer(model, platform, objective, "confuciux", 500, seed=seed).run()
                secs.append(time.perf_counter() - t)
                gaps.append(r.objective_value / bound - 1 if r.feasible else float("inf"))
            cells = " | ".join(f"{100 * g:.3f} %" for g in gaps)
            print(f"| {name} | {len(model)} | {objective} | {bound:,.0f} | {cells} | {100 * max(gaps):.3f} % | "
                  f"{statistics.median(secs):.2f} |", flush=True)  # fmt: skip


def main(argv: list[str]) -> int:
    opts = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in argv if a.startswith("--")}
    args = [a for a in argv if not a.startswith("--")]
    if len(args) < 2 or args[0] not in ("export", "table"):
        print(__doc__, file=sys.stderr)
        return 2
    directory, names = Path(args[1]), args[2:] or list(DEFAULT)
    if args[0] == "export":
        export(directory, names)
    else:
        seeds = [int(s) for s in opts.get("--seeds", "0,1,2").split(",")]
        table(directory, names, seeds, opts.get("--objectives", "latency,energy").split(","))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
