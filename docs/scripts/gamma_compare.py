"""Our mapping search against GAMMA's logged runs, layer by layer, at GAMMA's candidate counts.

usage: python docs/scripts/gamma_compare.py RUN MODEL [--runs DIR] [--layers 1-5] [--csv out.csv]
       [--times N] [--workers N] [--seed S] [--maestro /work/oracle/maestro/maestro]
       python docs/scripts/gamma_compare.py summary RUN_MODEL.csv ...   (one row per --csv file)

RUN is a run of the GAMMA logs (A_lat, A_en, B_lat, C_lat: fixed hardware, run_gamma.sh's 168 PEs,
L1 512 and L2 108,000 bytes; the objective is latency for *_lat, energy for *_en).  For each
layer it reads every candidate GAMMA evaluated (its log) and keeps GAMMA's best under three
definitions of valid: runtime at least the compute bound MACs / 168 ("bound"), also our engine's
status OK ("OK"), also at least the mapping's own critical path ("strict", what our search
returns).  It runs :func:`confuciux.mapping.search.best` on the same layer (GAMMA passes no
stride: every layer at stride 1, as GAMMA's MAESTRO file has it) with MAESTRO's flags as GAMMA
runs them (NoC 81,920,000, off-chip 2**30 elements/cycle), MAESTRO's energy, the same caps, seed
0 and as many engine evaluations as GAMMA evaluated candidates.  Ours is compared as MAESTRO
prints it (6 significant digits, the precision of GAMMA's log).  Prints a markdown table (ours /
GAMMA per layer, both over the compute bound, wall times) and the geomeans; ``--workers N`` runs
the layers' searches on a pool of N processes (:func:`confuciux.sweeps.process_pool`; GAMMA runs
its candidates on a pool of 2) and reports the wall time of the whole model's searches, pool
start-up included (``model_s``), next to each layer's own seconds (``ours_s``); ``--times N``
runs the model's searches N times and keeps the fastest wall times; ``--maestro PATH`` re-runs every winning
program through the MAESTRO binary with GAMMA's command line and counts those that give our
runtime and energy.  GAMMA's wall times are its logged ones (timing.csv).  The oracle data is not
part of the repository.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from confuciux import Dataflow, Hardware, Layer
from confuciux.cost.engine import Status, evaluate
from confuciux.mapping import MappingSpace
from confuciux.mapping.bounds import mapping_bound
from confuciux.mapping.search import best
from confuciux.sweeps import process_pool

FLAGS = {"noc_bw": 81_920_000, "offchip_bw": 2**30}
CAPS = {"l1_bytes": 512, "l2_bytes": 108_000}
PES = 168


def gamma_layer(dims: list[int]) -> Layer:
    """The layer GAMMA's MAESTRO file describes (stride 1; a GEMM as GAMMA writes it: the CONV
    K:=N, C:=K, Y:=M, which is our Layer.gemm)."""
    k, c, y, x, r, s, t = dims
    if t == 2:
        return Layer(1, c, y, x, r, s, "DSCONV")
    if t == 3:
        return Layer.gemm(k, c, y)  # the row is M, N, K
    if t == 0:
        return Layer(k, c, 1, 1, 1, 1)
    return Layer(k, c, y, x, r, s)


def gamma_candidates(path: str) -> tuple[int, list[dict[str, Any]]]:
    """(candidates GAMMA evaluated, its candidates that fit the caps with a cost)."""
    n, out = 0, []
    for line in gzip.open(path, "rt"):
        r = json.loads(line)
        if r.get("phase") == "report":
            continue
        n += 1
        if r.get("valid") and r.get("out") and r.get("reward") is not None:
            out.append(r)
    return n, out


def logged_layers(base: str, spec: str) -> tuple[dict[int, float], list[int]]:
    """A logged run's wall time per layer (its timing.csv, seconds) and the layers to compare
    (``spec``: "" for all, "i" or "i-j")."""
    with open(os.path.join(base, "timing.csv")) as fh:
        timing = {int(t["layer"]): float(t["wall_s"]) for t in csv.DictReader(fh)}
    layers = sorted(timing)
    if spec:
        lo, _, hi = spec.partition("-")
        layers = [i for i in layers if int(lo) <= i <= int(hi or lo)]
    return timing, layers


def candidate_pes(r: dict[str, Any]) -> int:
    """The PEs a logged candidate ran on (MAESTRO's --num_pes: 168 in fixed-hardware runs, the
    candidate's own count in DiGamma's co-optimisation)."""
    return int(r["hw"]["num_pes"])


def classify(layer: Layer, cands: list[dict[str, Any]], key: str, flags: dict[str, int] = FLAGS) -> dict[str, Any]:
    """GAMMA's best by ``key`` (MAESTRO's output name) under three definitions of valid: at or
    above the compute bound (GAMMA's logs), our engine's OK (no physical bound broken), and OK
    at or above the mapping's own bound (its critical path; strict, as our search).  Also the
    runtime, PEs and (for ``strict``) the candidate itself of each best."""
    best: dict[str, Any] = {"bound": math.inf, "ok": math.inf, "strict": math.inf}
    for r in sorted(cands, key=lambda r: r["out"][key]):
        v, rt, pes = float(r["out"][key]), float(r["out"]["Runtime (Cycles)"]), candidate_pes(r)
        if rt < layer.macs / pes:
            continue
        if best["bound"] == math.inf:
            best.update(bound=v, bound_runtime=rt, bound_pes=pes)
        m = r["mapping"]
        body = m[m.index("Dataflow {") :]
        df = Dataflow.parse(body[: body.index("}") + 1])
        res = evaluate(layer, df, pes, **flags)
        if res.status != Status.OK:
            continue
        if best["ok"] == math.inf:
            best.update(ok=v, ok_runtime=rt, ok_pes=pes)
        if rt >= mapping_bound(layer, df, pes):
            best.update(strict=v, strict_runtime=rt, strict_pes=pes, strict_candidate=r)
            break
    return best


def maestro(path: str, layer: Layer, program: str, pes: int, caps: dict[str, int] | None = None) -> dict[str, float]:
    """The real MAESTRO binary's runtime and energy for ``program`` on ``layer`` with GAMMA's
    command line (its flags, the caps as GAMMA passes them; 2**30 for none)."""
    caps = caps or {}
    d = layer
    text = (f"Network 0 {{\nLayer CONV {{\nType: {'DSCONV' if d.kind == 'DSCONV' else 'CONV'}\n"
            f"Dimensions {{ K: {d.K}, C: {d.C}, Y: {d.Y}, X: {d.X}, R: {d.R}, S: {d.S} }}\n{program}}}\n}}\n")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "m.m"), "w") as fh:
            fh.write(text)
        cmd = [path, "--Mapping_file=m.m", "--full_buffer=false", f"--noc_bw_cstr={FLAGS['noc_bw']}", "--noc_hops=1",
               "--noc_hop_latency=1", f"--offchip_bw_cstr={FLAGS['offchip_bw']}", "--noc_mc_support=true",
               f"--num_pes={pes}", "--num_simd_lanes=1", f"--l1_size_cstr={caps.get('l1_bytes', 2**30)}",
               f"--l2_size_cstr={caps.get('l2_bytes', 2**30)}", "--print_res=false", "--print_res_csv_file=true",
               "--print_log_file=false", "--print_design_space=false", "--msg_print_lv=0"]  # fmt: skip
        subprocess.run(cmd, cwd=tmp, capture_output=True, timeout=600, check=False)
        with open(os.path.join(tmp, "m.csv")) as fh:
            row = {k.strip(): v.strip() for k, v in next(csv.DictReader(fh)).items()}
    return {"runtime": float(row["Runtime (Cycles)"]), "energy": float(row["Activity count-based Energy (nJ)"])}


def searched(job: tuple[str, Layer, str, int, dict[str, Any]]) -> dict[str, Any]:
    """One layer's search (a pool's task: module level): ``(how, layer, objective, evaluations,
    keywords)`` with ``how`` "best" (:func:`best`, GAMMA's fixed hardware) or "search"
    (:func:`~confuciux.mapping.search.search`, DiGamma's co-optimisation); the frontier's best
    point and the search's wall time (s)."""
    from confuciux.mapping.search import search

    how, layer, objective, n, kw = job
    t0 = time.perf_counter()
    kw = {"seed": 0, **kw}
    f = (best if how == "best" else search)(layer, MappingSpace(), objective=objective, evaluations=n,
                                           hardware=Hardware.maestro(), flags=FLAGS, **kw)  # fmt: skip
    wall = time.perf_counter() - t0
    j = f.best
    point = {} if j is None else {"cost": float(f.cost[j]), "runtime": float(f.runtime[j]),
                                  "energy": float(f.energy[j]), "pes": int(f.pes[j]), "area": float(f.area[j]),
                                  "program": str(f.programs[j])}  # fmt: skip
    return {"evaluations": f.evaluations, "seconds": wall, **point}


def run_searches(jobs: list[Any], workers: int, times: int) -> tuple[list[dict[str, Any]], float]:
    """:func:`searched` of every job, ``times`` over: in this process, or on a pool of ``workers``
    (a fresh one each time); each job's result with its fastest ``seconds``, and the fastest wall
    time of the whole (s, the pool's start-up included)."""
    out: list[dict[str, Any]] = []
    walls = []
    for _ in range(times):
        t0 = time.perf_counter()
        if workers <= 1:
            got = [searched(job) for job in jobs]
        else:
            with process_pool(workers) as pool:
                got = list(pool.map(searched, jobs))
        walls.append(time.perf_counter() - t0)
        out = [dict(g, seconds=min(g["seconds"], o["seconds"])) for g, o in zip(got, out, strict=True)] if out else got
    return out, min(walls)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("model")
    ap.add_argument("--runs", default="/work/oracle/gamma_runs")
    ap.add_argument("--layers", default="")
    ap.add_argument("--csv", default="")
    ap.add_argument("--times", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0, help="our search's seed")
    ap.add_argument("--maestro", default="", help="MAESTRO binary: re-run every winning program through it")
    ap.add_argument("--workers", type=int, default=1, help="run the layers' searches on a pool of N processes")
    a = ap.parse_args()
    objective = "energy" if a.run.endswith("_en") else "latency"
    key = "Activity count-based Energy (nJ)" if objective == "energy" else "Runtime (Cycles)"
    base = os.path.join(a.runs, "runs", a.run, a.model)
    timing, layers = logged_layers(base, a.layers)
    out = []
    print("| layer | K C Y X R S | candidates | GAMMA (bound / OK / strict) | ours strict | ours/GAMMA strict | "
          "GAMMA strict / compute bound | ours / compute bound | GAMMA s | ours s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    logged = []
    for i in layers:
        n, cands = gamma_candidates(os.path.join(base, f"L{i}.jsonl.gz"))
        if cands:
            logged.append((i, n, cands, gamma_layer(cands[0]["dims"])))
    jobs = [("best", layer, objective, n, {"pes": PES, "caps": CAPS, "seed": a.seed}) for _, n, _, layer in logged]
    found, model_s = run_searches(jobs, a.workers, a.times)
    for (i, n, cands, layer), f in zip(logged, found, strict=True):
        dims = cands[0]["dims"]
        g = classify(layer, cands, key)
        # as MAESTRO prints it (6 significant digits), the precision of GAMMA's logged values
        ours = float(f"{f['cost']:.6g}") if "cost" in f else float("nan")
        ours_rt = f.get("runtime", float("nan"))
        bound = layer.macs / PES
        rec = dict(model=a.model, layer=i, kind=layer.kind, candidates=n, evaluations=f["evaluations"],
                   gamma_bound=g["bound"], gamma_ok=g["ok"], gamma_strict=g["strict"], ours=ours,
                   ratio=ours / g["strict"], gamma_strict_over_bound=g["strict_runtime"] / bound,
                   ours_over_bound=ours_rt / bound, gamma_s=timing[i], ours_s=f["seconds"],
                   program=f.get("program", "").replace("\n", " "), workers=a.workers, model_s=model_s)
        if a.maestro and "program" in f:
            m = maestro(a.maestro, layer, f["program"], PES, CAPS)
            rec.update(maestro_runtime=m["runtime"], maestro_energy=m["energy"],
                       maestro_same=m["runtime"] == f["runtime"] and
                       math.isclose(m["energy"], f["energy"], rel_tol=1e-5))  # fmt: skip
        out.append(rec)
        print(f"| {i} | {' '.join(map(str, dims[:6]))} | {n} | {g['bound']:.6g} / {g['ok']:.6g} / {g['strict']:.6g} | "
              f"{ours:.6g} | {rec['ratio']:.3f} | {rec['gamma_strict_over_bound']:.3f} | {rec['ours_over_bound']:.3f} | "
              f"{rec['gamma_s']:.1f} | {rec['ours_s']:.2f} |", flush=True)
    gm = math.exp(sum(math.log(o["ratio"]) for o in out) / len(out))
    worse = sum(o["ratio"] > 1 + 1e-9 for o in out)
    if a.maestro:
        same = sum(bool(o.get("maestro_same")) for o in out)
        print(f"\nMAESTRO ({a.maestro}) on our {len(out)} winning programs: {same} give our runtime and energy")
    print(f"\n{a.run} {a.model}: {len(out)} layers, geomean ours/GAMMA (strict) {gm:.3f}, layers where GAMMA is "
          f"better: {worse}, time ours {model_s:.2f} s the model's searches on {a.workers} process(es) "
          f"(layers {sum(o['ours_s'] for o in out):.2f} s) vs GAMMA {sum(o['gamma_s'] for o in out):.1f} s "
          f"(a pool of 2), load {os.getloadavg()[0]:.1f}")
    if a.csv:
        with open(a.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(out[0]))
            w.writeheader()
            w.writerows(out)


def _gm(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def _losers(rows: list[dict[str, str]], ratios: list[float]) -> str:
    worse = [(r["layer"], x) for r, x in zip(rows, ratios, strict=True) if x > 1 + 1e-9]
    if not worse:
        return "0"
    return f"{len(worse)} (" + ", ".join(f"L{i} {x:.3f}" for i, x in sorted(worse, key=lambda w: -w[1])) + ")"


def _ours_seconds(rows: list[dict[str, str]]) -> tuple[float, str]:
    """Our seconds for a model and their table cell: the wall time of the whole model's searches
    where the CSV has it (``model_s``, with ``--workers``: "2.1 (2 workers; layers 3.9)"), else
    (older CSVs: one process) the layers' seconds summed."""
    layers = sum(float(r["ours_s"]) for r in rows)
    if not rows[0].get("model_s"):
        return layers, f"{layers:.1f}"
    model, workers = float(rows[0]["model_s"]), int(rows[0].get("workers") or 1)
    return model, f"{model:.1f}" + (f" ({workers} workers; layers {layers:.1f})" if workers > 1 else "")


def summary(paths: list[str]) -> None:
    """One row per run and model from the ``--csv`` files of this script or digamma_compare.py
    (the tables of docs/results.md, section (j))."""
    for path in paths:
        rows = list(csv.DictReader(open(path)))
        name, model = os.path.basename(path), rows[0]["model"]
        run = name[: -len(f"_{model}.csv")] if name.endswith(f"_{model}.csv") else name
        n = len(rows)
        cand = sum(int(r["candidates"]) for r in rows) / n
        ratios = [float(r["ratio"]) for r in rows]
        same = f"{sum(r.get('maestro_same') == 'True' for r in rows)}/{n}"
        ours_s, cell = _ours_seconds(rows)
        if "gamma_strict" in rows[0]:
            loose = [float(r["ours"]) / float(r["gamma_bound"]) for r in rows]
            other_s = sum(float(r["gamma_s"]) for r in rows)
            print(f"| {run} | {model} | {n} | {cand:,.0f} | **{_gm(ratios):.3f}** | {_losers(rows, ratios)} | "
                  f"{_gm(loose):.3f} | {sum(x > 1 + 1e-9 for x in loose)} | "
                  f"{_gm([float(r['ours_over_bound']) for r in rows]):.4g} | "
                  f"{_gm([float(r['gamma_strict_over_bound']) for r in rows]):.4g} | {cell} | {other_s:,.0f} | "
                  f"{other_s / ours_s:.0f} | {same} |")  # fmt: skip
        else:
            d, b, o = (sum(float(r[k]) for r in rows) for k in ("digamma_strict", "digamma_bound", "ours"))
            other_s = sum(float(r["digamma_s"]) for r in rows)
            print(f"| {run} | {model} | {n} | {cand:,.0f} | {d:,.0f} | "
                  f"{b:,.0f} | {o:,.0f} | **{o / d:.3f}** | {_gm(ratios):.3f} | {_losers(rows, ratios)} | "
                  f"{cell} | {other_s:,.0f} | {same} |")  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["summary"]:
        summary(sys.argv[2:])
    else:
        main()
