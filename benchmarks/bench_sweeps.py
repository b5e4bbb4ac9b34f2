"""Sweep overhead: 20 cheap cases (the exact solver on AlexNet, ~1 ms each) in process, with and
without a checkpoint (one JSON line appended, flushed and fsynced per case), and read back from a
full checkpoint.  Run: ``pytest benchmarks/bench_sweeps.py``."""

from __future__ import annotations

import confuciux as cx

MODEL = cx.zoo.load("alexnet")
CASES = [cx.Case(MODEL, cx.Platform("dla", budgets={"area": 1e6 + 1e5 * i}), method="exact") for i in range(20)]


def test_sweep_in_process(benchmark):
    results = benchmark(lambda: cx.sweep(CASES))
    assert all(r.feasible for r in results)


def test_sweep_with_checkpoint(benchmark, tmp_path):
    paths = iter(tmp_path / f"ck{i}.jsonl" for i in range(10_000))
    results = benchmark(lambda: cx.sweep(CASES, checkpoint=next(paths)))
    assert all(r.feasible for r in results)


def test_sweep_read_back_from_checkpoint(benchmark, tmp_path):
    path = tmp_path / "ck.jsonl"
    first = cx.sweep(CASES, checkpoint=path)
    again = benchmark(lambda: cx.sweep(CASES, checkpoint=path))
    assert [r.objective_value for r in again] == [r.objective_value for r in first]
