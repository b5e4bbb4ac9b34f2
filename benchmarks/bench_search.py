"""Search speed and memory: default 500-epoch ConfuciuX runs (MobileNet-V2, a 324-layer model),
the big-model runs of issue 9 (LS/latency, LP/edp, LP/throughput on 324 layers) with their peak
memory, and the exact solver on MobileNet-V2.
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
        import resource, time, sys
        sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
        from bench_search import big_model
        import confuciux as cx
        model = big_model(324)
        pl = cx.Platform.confuciux(model, "dla", "area", 0.5, deployment={deployment!r})
        t = time.perf_counter()
        r = cx.Explorer(model, pl, {objective!r}, "confuciux", 500, seed=0).run()
        assert r.feasible
        print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)

    def run() -> tuple[float, float]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        seconds, rss_kib = out.stdout.split()
        return float(seconds), float(rss_kib) / 1024

    seconds, peak_mib = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(search_seconds=seconds, peak_rss_mib=peak_mib)
    assert peak_mib < 2048


@pytest.mark.parametrize("preset", ["default", "maestro"])
def test_exact(benchmark, preset):
    platform = cx.Platform.confuciux(MODEL, "dla", "area", 0.5, getattr(cx.Hardware, preset)())
    result = benchmark(lambda: cx.Explorer(MODEL, platform, "latency", "exact").run())
    assert result.feasible and result.gap == 0

