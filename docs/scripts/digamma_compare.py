"""Our mapping search against DiGamma's logged co-optimisation runs: PEs and mapping per layer
under DiGamma's area budget and area model, at DiGamma's candidate counts.

usage: python docs/scripts/digamma_compare.py RUN MODEL [--runs DIR] [--layers 1-5] [--csv out.csv]
       [--pes all|grid] [--evaluations N] [--maestro /work/oracle/maestro/maestro] [--same-area] [--workers N]

RUN is D_edge (area budget 0.2 mm², PEs up to 709) or D_cloud (7.0 mm², up to 24,822): DiGamma
(maestro-project/gamma with ``--num_pe -1 --fitness1 latency --fitness2 area``) run one layer at a
time (``--singlelayer i``), each layer getting its own design (PEs, mapping, L1 and L2 as MAESTRO
says the mapping needs them, no caps) whose area in DiGamma's model (``P·282 + (L1·P + L2)·0.086·8``
µm²) is within the budget; a network's latency is the sum of its layers' (DiGamma reports one
layer per run; nothing is shared between layers).  For each layer we run
:func:`confuciux.mapping.search` over the same PE counts (``--pes all``: 1..limit; ``grid``: about
200 counts spread geometrically) with ``area_model="digamma"``, ``caps={"area": budget}``, MAESTRO's
flags as DiGamma runs them and as many engine evaluations as DiGamma evaluated candidates; ours is
the fastest point of the frontier.  DiGamma's is its fastest candidate within the budget that is
physically valid (runtime at least MACs / its PEs, and our engine's strict check: OK and at or above
the mapping's critical path), re-read from its candidate log.  ``--maestro PATH`` re-runs every
winning program of ours through the MAESTRO binary (DiGamma's command line, no caps).
``--workers N`` runs the layers' searches on a pool of N processes and reports the wall time of the
whole model's searches (``model_s``, pool start-up included) next to each layer's (``ours_s``), as
gamma_compare.py does.  The oracle data is not part of the repository.
"""

from __future__ import annotations

import argparse
import csv
import math
import os

import numpy as np
from gamma_compare import classify, gamma_candidates, gamma_layer, logged_layers, maestro, run_searches

BUDGETS = {"D_edge": (0.2e6, 709), "D_cloud": (7.0e6, 24_822)}  # (µm², PE limit) as the runs used


def pe_counts(limit: int, how: str) -> np.ndarray:
    """The PE counts our search may choose: every count up to ``limit``, or ~200 spread
    geometrically (with every count up to 16)."""
    if how == "all":
        return np.arange(1, limit + 1)
    return np.unique(np.concatenate([np.arange(1, 17), np.geomspace(16, limit, 200).round().astype(np.int64)]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", choices=sorted(BUDGETS))
    ap.add_argument("model")
    ap.add_argument("--runs", default="/work/oracle/gamma_runs")
    ap.add_argument("--layers", default="")
    ap.add_argument("--csv", default="")
    ap.add_argument("--pes", default="all", choices=("all", "grid"))
    ap.add_argument("--maestro", default="", help="MAESTRO binary: re-run every winning program through it")
    ap.add_argument("--same-area", action="store_true", help="cap each layer at DiGamma's winner's area")
    ap.add_argument("--evaluations", type=int, default=0, help="engine evaluations a layer (0: DiGamma's count)")
    ap.add_argument("--workers", type=int, default=1, help="run the layers' searches on a pool of N processes")
    a = ap.parse_args()
    budget, limit = BUDGETS[a.run]
    base = os.path.join(a.runs, "runs", a.run, a.model)
    timing, layers = logged_layers(base, a.layers)
    P = pe_counts(limit, a.pes)
    out, jobs = [], []
    print("| layer | K C Y X R S T | candidates | DiGamma valid: cycles (PEs, µm²) | ours: cycles (PEs, µm²) | "
          "ours/DiGamma | DiGamma s | ours s |")
    print("|---|---|---|---|---|---|---|---|")
    logged = []
    for i in layers:
        n, cands = gamma_candidates(os.path.join(base, f"L{i}.jsonl.gz"))
        if not cands:
            continue
        layer = gamma_layer(cands[0]["dims"])
        g = classify(layer, cands, "Runtime (Cycles)")
        area = float(g["strict_candidate"]["gamma_area"]) if "strict_candidate" in g else math.nan
        cap = min(budget, area) if a.same_area else budget
        logged.append((i, n, cands[0]["dims"], layer, g, area))
        jobs.append(("search", layer, "latency", a.evaluations or n,
                     {"pes": P, "resource": "area", "caps": {"area": cap}, "area_model": "digamma"}))  # fmt: skip
    found, model_s = run_searches(jobs, a.workers, 1)
    for (i, n, dims, layer, g, area), f in zip(logged, found, strict=True):
        ours = f.get("runtime", math.nan)
        rec = dict(model=a.model, layer=i, kind=layer.kind, candidates=n, evaluations=f["evaluations"],
                   digamma_bound=g["bound"], digamma_strict=g["strict"], digamma_pes=g.get("strict_pes"),
                   digamma_area=area, ours=ours, ours_pes=f.get("pes"), ours_area=f.get("area", math.nan),
                   ratio=ours / g["strict"], digamma_s=timing[i], ours_s=f["seconds"],
                   program=f.get("program", "").replace("\n", " "), workers=a.workers, model_s=model_s)  # fmt: skip
        if a.maestro and "program" in f:
            m = maestro(a.maestro, layer, f["program"], int(f["pes"]))
            rec.update(maestro_runtime=m["runtime"], maestro_same=m["runtime"] == ours)
        out.append(rec)
        print(f"| {i} | {' '.join(map(str, dims))} | {n} | {g['strict']:.6g} ({rec['digamma_pes']}, {area:.0f}) | "
              f"{ours:.6g} ({rec['ours_pes']}, {rec['ours_area']:.0f}) | {rec['ratio']:.3f} | {timing[i]:.1f} | "
              f"{rec['ours_s']:.2f} |", flush=True)
    tot_d = sum(o["digamma_strict"] for o in out)
    tot_o = sum(o["ours"] for o in out)
    gm = math.exp(sum(math.log(o["ratio"]) for o in out) / len(out))
    print(f"\n{a.run} {a.model}: {len(out)} layers, network latency (sum of layers) ours {tot_o:.6g} vs DiGamma "
          f"{tot_d:.6g} cycles (ours/DiGamma {tot_o / tot_d:.3f}; DiGamma valid by the compute bound alone "
          f"{sum(o['digamma_bound'] for o in out):.6g}), per-layer geomean {gm:.3f}, layers where DiGamma is "
          f"better: {sum(o['ratio'] > 1 + 1e-9 for o in out)}, time ours {model_s:.2f} s the model's searches on "
          f"{a.workers} process(es) (layers {sum(o['ours_s'] for o in out):.2f} s) vs DiGamma "
          f"{sum(o['digamma_s'] for o in out):.1f} s, load {os.getloadavg()[0]:.1f}")
    if a.maestro:
        same = sum(bool(o.get("maestro_same")) for o in out)
        print(f"MAESTRO ({a.maestro}) on our {len(out)} winning programs: {same} give our runtime")
    if a.csv:
        with open(a.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(out[0]))
            w.writeheader()
            w.writerows(out)


if __name__ == "__main__":
    main()
