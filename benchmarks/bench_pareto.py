"""Exact trade-off fronts (``confuciux.pareto``) of big models, and how their time and peak memory
grow with layers.  Run: ``pytest benchmarks/bench_pareto.py``; figures go to docs/performance.md
("Pareto fronts of big models").

The ResNet-50 fronts are timed in this process (each round builds the cost table and runs the
DP).  The other cases run in a fresh subprocess each, which reports its own wall and CPU time
around ``pareto_front(...)`` and its peak resident memory (Linux's ``VmHWM``: the interpreter, the
cost table, the DP and its record together — not ``ru_maxrss``, which a child inherits from the
process that started it); they are recorded in pytest-benchmark's ``extra_info``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import confuciux as cx

RESNET50 = cx.zoo.load("resnet50")

# Run in a subprocess: build the model, time pareto(), report JSON on stdout.
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {here!r})

def peak_mb():
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):  # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

import confuciux as cx
spec = json.loads(sys.argv[1])
if spec["model"] == "vit_like":
    from bench_exact import vit_like
    model = vit_like()
else:  # a zoo model's layers repeated to the given count
    base = cx.zoo.load(spec["model"])
    model = cx.Model(f"{{base.name}}_x{{spec['layers']}}", [base.layers[i % len(base)] for i in range(spec["layers"])])
platform = cx.Platform(spec["dataflow"] if isinstance(spec["dataflow"], str) else tuple(spec["dataflow"]),
                       **spec.get("space", {{}}))
before = peak_mb()
wall, cpu = time.perf_counter(), time.process_time()
front = cx.pareto_front(model, platform, "latency", spec["resource"], max_points=spec.get("max_points"))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
full = front.full()
trace = full._designs
print(json.dumps({{
    "layers": len(model), "points": len(front), "complete_points": len(full), "wall_s": wall, "cpu_s": cpu,
    "peak_mb": peak_mb(), "before_mb": before,
    "partial_points": int(trace.sizes.sum()), "checkpoints": len(getattr(trace, "checkpoints", [])),
}}))
"""


def _run(spec: dict[str, object]) -> dict[str, float]:
    code = _CHILD.format(here=str(Path(__file__).resolve().parent))
    out = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.splitlines()[-1]))


def _record(benchmark: object, spec: dict[str, object]) -> dict[str, float]:
    result: dict[str, float] = {}
    benchmark.pedantic(lambda: result.update(_run(spec)), rounds=1, iterations=1)  # type: ignore[attr-defined]
    benchmark.extra_info.update(result)  # type: ignore[attr-defined]
    return result


@pytest.mark.parametrize("hardware", ["maestro", "default"])
def test_pareto_resnet50(benchmark, hardware):
    """Issue 17 item 7: ResNet-50's exact latency-over-area front with either hardware preset
    (153,862 / 118,496 points), target <= 2 s."""
    platform = cx.Platform("dla", hardware=getattr(cx.Hardware, hardware)())
    front = benchmark.pedantic(lambda: cx.pareto_front(RESNET50, platform, "latency", "area"), rounds=3, iterations=1)
    benchmark.extra_info["points"] = len(front)
    assert front.exact and len(front) > 100_000


@pytest.mark.parametrize("layers", [100, 1_000, 5_000])
def test_pareto_scaling(benchmark, layers):
    """Issue 18 defect 14: time and peak memory against layers (MobileNet-V2's layers repeated;
    latency over area; 4 options a layer so that 5,000 layers stay quick).  The front grows as
    layers × options; time as the sum of the partial fronts' sizes (layers × front size: each
    step adds a layer to the whole partial front); memory as the cost table and the front, the
    DP's record capped at TRACE_BYTES."""
    spec = {"model": "mobilenet_v2", "layers": layers, "dataflow": "dla", "resource": "area",
            "space": {"pe_levels": [1, 2, 4, 8], "buffer_levels": [1], "space": "grid"}}  # fmt: skip
    r = _record(benchmark, spec)
    assert r["layers"] == layers and r["peak_mb"] < 1024


def test_pareto_200_layers_default_box(benchmark):
    """Issue 18 defect 14: a 208-layer model (MobileNet-V2 four times) over the default box
    (1,536 options a layer), latency over area: 2.2 GB before; must stay under 1.5 GB."""
    r = _record(benchmark, {"model": "mobilenet_v2", "layers": 208, "dataflow": "dla", "resource": "area"})
    assert r["peak_mb"] < 1536


@pytest.mark.parametrize("max_points", [None, 1_000])
def test_pareto_vit_three_dataflows(benchmark, max_points):
    """Issue 17 item 7: the ViT-like model (338 layers) with each layer choosing among dla, shi
    and eye (4,608 options a layer): the exact front (about 740,000 points), and a thinned view
    of 1,000 points whose designs are decoded at once and the DP's record released."""
    spec = {"model": "vit_like", "dataflow": ["dla", "shi", "eye"], "resource": "area", "max_points": max_points}
    r = _record(benchmark, spec)
    assert r["complete_points"] > 100_000 and r["peak_mb"] < 1536
