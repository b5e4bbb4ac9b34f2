"""What the mapping gains over ConfuciuX's fixed dataflows: exact fronts of latency against area.

usage: python docs/scripts/mapping_fronts.py [--models resnet18,...] [--evaluations 3000]
       [--csv out.csv] [--plot docs/mapping_fronts_networks.png]

For every model, three fronts of the layer-pipelined latency (sum of the layers' runtimes, cycles)
against the area (sum of the layers' sub-accelerators, µm², ``Hardware.default()``), all over P 1..128
per layer and with physically impossible points left out:

(a) one fixed dataflow: ``pareto_front(model, Platform(p))`` for each of dla, shi, eye (depthwise
    layers run dpt under each, as the Platform does), the best one kept (lowest geomean latency at
    the budgets below);
(b) per-layer choice of the four presets: ``Platform(("dla", "shi", "eye", "dpt"))``, buffer
    setting k 1..12 as the Platform's box;
(c) the searched mapping: ``pareto_front(model, Platform(dataflow=MappingSearch(MappingSpace(),
    evaluations=N)))``: each distinct layer's mapping searched (1-3 cluster levels, parallel K, C,
    Y', X', every tile size and loop order, P 1..128, ``--evaluations`` engine evaluations a layer,
    seed 0), its non-dominated points the layer's options, the front exact given those options;
(c)+(b): each layer's front of (c) merged with its front over the four presets, combined across
    layers exactly with the frontier DP's step (:func:`confuciux.search.frontier.step`).

Prints a table per model: latency at five area budgets spread geometrically between the lightest
and the heaviest design of (b), and the gains (a)/(c), (b)/(c).  The CNNs are zoo models in
ConfuciuX's record (no stride, as its files); the two transformers are one encoder block's GEMMs
as GAMMA's workloads list them (data/model/BERT_m.csv and T5_m.csv: one attention head).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import os
import time
import warnings

import numpy as np

from confuciux import Layer, Model, Platform, zoo
from confuciux.mapping import MappingSpace
from confuciux.mapping.settings import MappingSearch
from confuciux.pareto import pareto_front
from confuciux.search.frontier import frontier, step

CNNS = ("resnet18", "resnet50", "vgg16", "mobilenet_v2", "mnasnet", "googlenet")
#: One encoder block as GAMMA's data/model files list it (M, N, K per GEMM).
TRANSFORMERS = {
    "bert_base": ((512, 768, 768), (512, 64, 512), (64, 512, 512), (512, 768, 768), (512, 768, 3072),
                  (512, 3072, 768)),
    "t5_small": ((512, 512, 512), (512, 64, 512), (64, 512, 512), (512, 512, 512), (512, 512, 2048),
                 (512, 2048, 512)),
}  # fmt: skip
PRESETS = ("dla", "shi", "eye")
FOUR = ("dla", "shi", "eye", "dpt")
PES = np.arange(1, 129)


def load(name: str) -> Model:
    if name in TRANSFORMERS:
        return Model(name, tuple(Layer.gemm(m, n, k, name=f"{name}.{i}") for i, (m, n, k) in
                                 enumerate(TRANSFORMERS[name])))  # fmt: skip
    return zoo.load(name)


def union_front(model: Model, searched: Platform) -> tuple[np.ndarray, np.ndarray]:
    """(c)+(b): each distinct layer's front over its searched mappings (``searched``) merged with
    its front over the four presets, combined across layers exactly (the frontier DP's step)."""
    fronts: dict[Layer, tuple[np.ndarray, np.ndarray]] = {}
    fw, fc = np.zeros(1), np.zeros(1)
    for layer in model.layers:
        key = dataclasses.replace(layer, name="")
        if key not in fronts:
            one = Model("one", (layer,))
            (sw, sc), (pw, pc) = library_front(one, searched), library_front(one, Platform(FOUR))
            w, c = np.concatenate([sw, pw]), np.concatenate([sc, pc])
            keep = frontier(w, c)
            fronts[key] = (w[keep], c[keep])
        fw, fc, _, _ = step(fw, fc, *fronts[key])
    return fw, fc


def at(front: tuple[np.ndarray, np.ndarray], budget: float) -> float:
    """Least latency of a front (area ascending, latency descending) within ``budget``."""
    w, c = front
    i = np.searchsorted(w, budget, side="right") - 1
    return float(c[i]) if i >= 0 else math.inf


def library_front(model: Model, platform: Platform) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        f = pareto_front(model, platform, "latency", "area")
    return np.asarray(f.resource), np.asarray(f.objective)


def gm(v: list[float]) -> float:
    return math.exp(sum(map(math.log, v)) / len(v)) if v and all(math.isfinite(x) for x in v) else math.inf


def compare(name: str, evaluations: int) -> tuple[dict[str, object], dict[str, tuple[np.ndarray, ...]]]:
    model = load(name)
    b = library_front(model, Platform(FOUR))
    budgets = np.geomspace(b[0][0], b[0][-1], 5)
    singles = {p: library_front(model, Platform(p)) for p in PRESETS}
    best = min(PRESETS, key=lambda p: gm([at(singles[p], x) for x in budgets]))
    a = singles[best]
    searched = Platform(dataflow=MappingSearch(MappingSpace(), evaluations=evaluations))
    t0 = time.perf_counter()
    c = library_front(model, searched)
    seconds = time.perf_counter() - t0
    cw, cc = c
    u = union_front(model, searched)
    distinct = len({dataclasses.replace(layer, name="") for layer in model.layers})
    rec: dict[str, object] = dict(model=name, layers=len(model.layers), distinct=distinct, best_preset=best,
                                  search_s=round(seconds, 1),
                                  points_a=len(a[0]), points_b=len(b[0]), points_c=len(cw))  # fmt: skip
    for i, x in enumerate(budgets):
        la, lb, lc, lu = at(a, x), at(b, x), at(c, x), at(u, x)
        rec.update({f"budget{i}_um2": x, f"a{i}": la, f"b{i}": lb, f"c{i}": lc, f"u{i}": lu, f"a_over_c{i}": la / lc,
                    f"b_over_c{i}": lb / lc, f"b_over_u{i}": lb / lu})  # fmt: skip
    rec.update(min_latency_a=float(a[1][-1]), min_latency_b=float(b[1][-1]), min_latency_c=float(cc[-1]),
               min_area_a=float(a[0][0]), min_area_b=float(b[0][0]), min_area_c=float(cw[0]))  # fmt: skip
    return rec, {"a": a, "b": b, "c": c, "u": u, "budgets": (budgets,)}


def plot(fronts: dict[str, dict[str, tuple[np.ndarray, ...]]], best: dict[str, str], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(fronts)
    cols = 4
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.3 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        f = fronts[name]
        for key, label, style, line in (("a", f"(a) {best[name]} only", "C0", "-"),
                                        ("b", "(b) per-layer preset", "C1", "-"),
                                        ("c", "(c) searched mapping", "C2", "-"), ("u", "(c)+(b)", "k", ":")):  # fmt: skip
            w, c = f[key]
            ax.step(w / 1e6, c, where="post", color=style, linestyle=line, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("area (mm²)")
        ax.set_ylabel("latency (cycles)")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join((*CNNS, *TRANSFORMERS)))
    ap.add_argument("--evaluations", type=int, default=3000)
    ap.add_argument("--csv", default="")
    ap.add_argument("--plot", default="")
    a = ap.parse_args()
    recs, fronts = [], {}

    def cycles(v: object) -> str:  # "none": no design of the front fits the budget
        return f"{v:.4g}" if isinstance(v, float) and math.isfinite(v) else "none"

    def ratio(v: object) -> str:
        return f"{v:.2f}" if isinstance(v, float) and math.isfinite(v) and v > 0 else "n/a"

    print("| model | layers (distinct) | best preset | area budget (mm²) | (a) | (b) | (c) | (c)+(b) | (a)/(c) | (b)/(c) "
          "| (b)/((c)+(b)) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in a.models.split(","):
        rec, fr = compare(name, a.evaluations)
        recs.append(rec)
        fronts[name] = fr
        for i in range(5):
            x = float(rec[f"budget{i}_um2"])  # type: ignore[arg-type]
            head = f"| {name} | {rec['layers']} ({rec['distinct']}) | {rec['best_preset']} |" if i == 0 else "| | | |"
            lat = " | ".join(cycles(rec[f"{k}{i}"]) for k in "abcu")
            print(f"{head} {x / 1e6:.3g} | {lat} | "
                  f"{ratio(rec[f'a_over_c{i}'])} | {ratio(rec[f'b_over_c{i}'])} | {ratio(rec[f'b_over_u{i}'])} |", flush=True)  # fmt: skip
    for r in recs:
        print(f"{r['model']}: search {r['search_s']} s for {r['distinct']} distinct layers;"
              f" front points (a) {r['points_a']} (b) {r['points_b']} (c) {r['points_c']}; least latency (a) "
              f"{r['min_latency_a']:.4g} (b) {r['min_latency_b']:.4g} (c) {r['min_latency_c']:.4g}; least area "
              f"(a) {r['min_area_a']:.4g} (b) {r['min_area_b']:.4g} (c) {r['min_area_c']:.4g} µm²")
    print(f"load {os.getloadavg()[0]:.1f}")
    if a.csv:
        with open(a.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(recs[0]))
            w.writeheader()
            w.writerows(recs)
    if a.plot:
        plot(fronts, {str(r["model"]): str(r["best_preset"]) for r in recs}, a.plot)


if __name__ == "__main__":
    main()
