"""Search speed: a default 500-epoch ConfuciuX run and the exact solver on MobileNet-V2.
Run: ``pytest benchmarks/bench_search.py``; figures go to docs/performance.md."""

from __future__ import annotations

import pytest

import confuciux as cx

MODEL = cx.zoo.load("mobilenet_v2")


@pytest.mark.parametrize("preset", ["default", "maestro"])
def test_confuciux_500_epochs(benchmark, preset):
    platform = cx.Platform.confuciux(MODEL, "dla", "area", 0.5, getattr(cx.Hardware, preset)())
    result = benchmark.pedantic(lambda: cx.Explorer(MODEL, platform, "latency", "confuciux", 500, seed=0).run(), rounds=3, iterations=1)
    assert result.feasible


@pytest.mark.parametrize("preset", ["default", "maestro"])
def test_exact(benchmark, preset):
    platform = cx.Platform.confuciux(MODEL, "dla", "area", 0.5, getattr(cx.Hardware, preset)())
    result = benchmark(lambda: cx.Explorer(MODEL, platform, "latency", "exact").run())
    assert result.feasible and result.gap == 0
