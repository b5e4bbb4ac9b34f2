"""Search speed and memory: default 500-epoch ConfuciuX runs (MobileNet-V2, a 324-layer model),
the big-model runs of issue 9 (LS/latency, LP/edp, LP/throughput on 324 layers) with their peak
memory, the general polish's growth with the layer count (edp at 100, 1,000 and 5,000 layers;
the larger two only when benchmarking, not in CI's smoke run), and the exact solver on
MobileNet-V2.
Run: ``pytest benchmarks/bench_search.py``; figures go to docs/performance.md and docs/results.md."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import confuciux as cx

MODEL = cx.zoo.load("mobilenet_v2")


def big_model(n: int) -> cx.Model:
    """``n`` layers from DenseNet, GoogLeNet, MobileNet-V2 and ResNet-50 in turn (324: one of each
    and the first 0 of the next)."""
    layers: list[cx.Layer] = []
    names = ("densenet", "googlenet", "mobilenet_v2", "resnet50")
    i = 0
    while len(layers) < n:
        layers += list(cx.zoo.load(names[i % len(names)]))
        i += 1
    return cx.Model(f"big{n}", layers[:n])


@pytest.mark.parametrize("preset", ["default", "maestro"])
def test_confuciux_500_epochs(benchmark, preset):
    platform = cx.Platform.confuciux(MODEL, "dla", "area", 0.5, getattr(cx.Hardware, preset)())
    result = benchmark.pedantic(lambda: cx.Explorer(MODEL, platform, "latency", "confuciux", 500, seed=0).run(),
                                rounds=3, iterations=1)  # fmt: skip
    assert result.feasible


def test_confuciux_500_epochs_324_layers(benchmark):
    model = big_model(324)
    platform = cx.Platform.confuciux(model, "dla", "area", 0.5)
    result = benchmark.pedantic(lambda: cx.Explorer(model, platform, "latency", "confuciux", 500, seed=0).run(),
                                rounds=1, iterations=1)  # fmt: skip
    assert result.feasible


@pytest.mark.parametrize("deployment, objective", [("LS", "latency"), ("LP", "edp"), ("LP", "throughput")])
def test_big_model_run_time_and_peak_memory(benchmark, deployment, objective):
    """In a fresh process (so the peak resident memory is this run's): seconds and peak RSS."""
    code = textwrap.dedent(f"""
        import time, sys
        sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
        from bench_search import big_model
        import confuciux as cx
        model = big_model(324)
        pl = cx.Platform.confuciux(model, "dla", "area", 0.5, deployment={deployment!r})
        t = time.perf_counter()
        r = cx.Explorer(model, pl, {objective!r}, "confuciux", 500, seed=0).run()
        assert r.feasible
        print(time.perf_counter() - t, _peak_kib())
    """)

    seconds, peak_mib = benchmark.pedantic(lambda: _fresh_run(code), rounds=1, iterations=1)
    benchmark.extra_info.update(search_seconds=seconds, peak_rss_mib=peak_mib)
    assert peak_mib < 2048


# the child's own peak: Linux's VmHWM (ru_maxrss would carry over the parent's peak from before exec)
_PEAK = """
def _peak_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
"""


def _fresh_run(code: str) -> tuple[float, float]:
    """Run ``code`` (which prints seconds and its peak resident KiB) in a fresh process: (s, MiB)."""
    out = subprocess.run([sys.executable, "-c", _PEAK + code], capture_output=True, text=True, check=True)
    seconds, rss_kib = out.stdout.split()
    return float(seconds), float(rss_kib) / 1024


@pytest.mark.parametrize("layers", [100, 1000, 5000])
@pytest.mark.parametrize("method", ["ga", "confuciux"])
def test_edp_search_grows_linearly_in_layers(benchmark, method, layers):
    """Issue 18 item 13: the GA's general polish (edp) scored every single step as a whole
    design (layers² entries a round).  Time and peak memory must grow no faster than layers ×
    options; peak memory at 5,000 layers under 1 GB.  Seconds and peak RSS of a fresh process."""
    if benchmark.disabled and layers > 100:
        pytest.skip("the smoke run (--benchmark-disable) takes the 100-layer size only")
    code = textwrap.dedent(f"""
        import time, sys
        sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
        from bench_search import big_model
        import confuciux as cx
        model = big_model({layers})
        pl = cx.Platform.confuciux(model, "dla", "area", 0.5)
        t = time.perf_counter()
        r = cx.Explorer(model, pl, "edp", {method!r}, 500, seed=0).run()
        assert r.feasible
        print(time.perf_counter() - t, _peak_kib())
    """)
    seconds, peak_mib = benchmark.pedantic(lambda: _fresh_run(code), rounds=1, iterations=1)
    benchmark.extra_info.update(search_seconds=seconds, peak_rss_mib=peak_mib, layers=layers)
    assert peak_mib < 1024


@pytest.mark.parametrize("preset", ["default", "maestro"])
def test_exact(benchmark, preset):
    platform = cx.Platform.confuciux(MODEL, "dla", "area", 0.5, getattr(cx.Hardware, preset)())
    result = benchmark(lambda: cx.Explorer(MODEL, platform, "latency", "exact").run())
    assert result.feasible and result.gap == 0

