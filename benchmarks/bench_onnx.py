"""ONNX import: time and peak memory of hostile files under 100 KB (issue 18) and of the worst cases
the limits allow, against the number of nodes.  Run: ``pytest benchmarks/bench_onnx.py``.

Each case also records the peak resident memory of a fresh process importing the file
(``extra_info["peak_rss_MiB"]``, Python and the imports included: about 70 MiB) unless
benchmarking is disabled (CI's smoke run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from confuciux import Model

onnx = pytest.importorskip("onnx")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from onnx import helper as h  # noqa: E402

import test_onnx_limits as hostile  # noqa: E402

_CHILD = """
import resource, sys, warnings
from confuciux import Model
warnings.simplefilter("ignore")
try:
    Model.from_onnx(sys.argv[1])
except ValueError:
    pass
# VmHWM: this process's peak (ru_maxrss would carry over the parent's from before exec)
status = open("/proc/self/status").read() if sys.platform == "linux" else ""
peak = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
print((peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024)
"""


def _import(path: Path) -> str:
    try:
        return f"{len(Model.from_onnx(path))} layers"
    except ValueError as exc:
        return str(exc).split(": ", 1)[1][:80]


def _record(benchmark, path: Path) -> None:
    benchmark.extra_info["file_bytes"] = path.stat().st_size
    if not benchmark.disabled:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True,
                             cwd=path.parent)  # fmt: skip
        benchmark.extra_info["peak_rss_MiB"] = round(float(out.stdout), 1)


def _chain(n: int) -> onnx.ModelProto:
    """n MatMuls in a chain, straight in the graph (no functions): the per-node cost."""
    nodes = [h.make_node("MatMul", [f"t{i}", "w"], [f"t{i + 1}"]) for i in range(n)]
    return hostile.graph(nodes, [("t0", [4, 8])], [hostile.weight("w", [8, 8])])


@pytest.mark.parametrize("depth", [10, 13, 16])
def test_inlined_functions(benchmark, tmp_path, depth):
    """2**depth MatMul layers from 2 KB of functions (16: the largest power of two within
    MAX_INLINED_NODES)."""
    path = tmp_path / "f.onnx"
    onnx.save_model(hostile.doubling(depth), path)
    assert benchmark.pedantic(_import, (path,), rounds=1 if depth == 16 else 3) == f"{2**depth} layers"
    _record(benchmark, path)


@pytest.mark.parametrize("n", [1_000, 4_000])
def test_matmul_chain(benchmark, tmp_path, n):
    path = tmp_path / "chain.onnx"
    onnx.save_model(_chain(n), path)
    assert benchmark.pedantic(_import, (path,), rounds=3) == f"{n} layers"
    _record(benchmark, path)


@pytest.mark.parametrize("case", ["where_cube", "outer_products", "concat_20000", "functions_2_21", "big_bodies",
                                  "big_bodies_within_budget", "rank_bomb", "external_constant"])  # fmt: skip
def test_hostile_files(benchmark, tmp_path, case):
    paths = {p.stem: p for p in hostile.hostile_files(tmp_path)}
    benchmark.pedantic(_import, (paths[case],), rounds=3)
    _record(benchmark, paths[case])


def test_folding_at_the_total_cap(benchmark, tmp_path):
    """17 values of 60,000 elements folded for shapes: the most MAX_FOLD_TOTAL lets through."""
    sizes = [hostile.ints(f"n{i}", [60_000]) for i in range(17)]
    nodes = [h.make_node("ConstantOfShape", [f"n{i}"], [f"z{i}"]) for i in range(17)]
    nodes += [h.make_node("ReduceSum", [f"z{i}"], [f"t{i}"], keepdims=1) for i in range(17)]
    nodes += [h.make_node("Concat", [f"t{i}" for i in range(17)], ["total"], axis=0)]
    m = hostile.reshaped_by(h.make_node("Cast", ["total"], ["s"], to=onnx.TensorProto.INT64), extra=nodes, inits=sizes)
    path = tmp_path / "fold.onnx"
    onnx.save_model(m, path)
    result = benchmark.pedantic(_import, (path,), rounds=3)
    assert "MAX_FOLD" not in result
    _record(benchmark, path)
    benchmark.extra_info["folded_elements"] = 17 * 60_000

