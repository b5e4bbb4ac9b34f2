"""The exact solver and Pareto fronts over the integer box (P 1..128 × k 1..12, 1,536 options a
layer).  Run: ``pytest benchmarks/bench_exact.py``; figures go to docs/performance.md.

Each timing covers building the cost table (one batch of kernel calls) and solving."""

from __future__ import annotations

import pytest

import confuciux as cx
from confuciux.search.exact import solve_exact
from confuciux.search.problem import Problem

MOBILENET = cx.zoo.load("mobilenet_v2")


def vit_like(blocks: int = 12, tokens: int = 197, dim: int = 768, heads: int = 12, mlp: int = 3072) -> cx.Model:
    """A ViT-B/16-like model of 338 GEMM layers: patch embedding, per block the QKV projection,
    per head the Q·Kᵀ and attention·V products, the output projection and the two MLP layers,
    then the classifier."""
    gemm = cx.Layer.gemm
    hd = dim // heads
    layers = [gemm(tokens, dim, 3 * 16 * 16, name="patch_embed")]
    for b in range(blocks):
        layers.append(gemm(tokens, 3 * dim, dim, name=f"b{b}.qkv"))
        layers += [gemm(tokens, tokens, hd, name=f"b{b}.h{h}.qk") for h in range(heads)]
        layers += [gemm(tokens, hd, tokens, name=f"b{b}.h{h}.av") for h in range(heads)]
        layers += [gemm(tokens, dim, dim, name=f"b{b}.proj"), gemm(tokens, mlp, dim, name=f"b{b}.fc1"),
                   gemm(tokens, dim, mlp, name=f"b{b}.fc2")]  # fmt: skip
    layers.append(gemm(1, 1000, dim, name="head"))
    return cx.Model("vit_like", layers)


VIT = vit_like()
PLATFORMS = {
    "area x0.5": lambda m: cx.Platform.confuciux(m, "dla", "area", 0.5),
    "area x0.2": lambda m: cx.Platform.confuciux(m, "dla", "area", 0.2),
    "edge FPGA": lambda m: cx.Platform.edge_fpga("dla"),
    "cloud FPGA": lambda m: cx.Platform.cloud_fpga("dla"),
    "LS area x0.5": lambda m: cx.Platform.confuciux(m, "dla", "area", 0.5, deployment="LS"),
}


def _solve(model: cx.Model, platform: cx.Platform, objective: str) -> float:
    r = solve_exact(Problem(model, platform, objective))
    assert r.choice is not None
    return (r.objective - r.lower_bound) / r.lower_bound


@pytest.mark.parametrize("objective", ["latency", "energy", "throughput", "edp"])
@pytest.mark.parametrize("platform", ["area x0.5", "area x0.2"])
def test_exact_one_budget_mobilenet_v2(benchmark, platform, objective):
    pl = PLATFORMS[platform](MOBILENET)
    gap = benchmark.pedantic(lambda: _solve(MOBILENET, pl, objective), rounds=3, iterations=1)
    assert gap >= 0


@pytest.mark.parametrize("objective", ["latency", "energy", "throughput"])
@pytest.mark.parametrize("platform", ["edge FPGA", "cloud FPGA"])
def test_exact_two_budgets_mobilenet_v2(benchmark, platform, objective):
    pl = PLATFORMS[platform](MOBILENET)
    gap = benchmark.pedantic(lambda: _solve(MOBILENET, pl, objective), rounds=3, iterations=1)
    assert gap >= 0


@pytest.mark.parametrize("objective", ["latency", "energy", "throughput"])
def test_exact_layer_sequential_mobilenet_v2(benchmark, objective):
    pl = PLATFORMS["LS area x0.5"](MOBILENET)
    gap = benchmark.pedantic(lambda: _solve(MOBILENET, pl, objective), rounds=1, iterations=1)
    assert gap >= 0


@pytest.mark.parametrize("objective", ["latency", "energy"])
@pytest.mark.parametrize("platform", ["area x0.5", "cloud FPGA"])
def test_exact_338_layers(benchmark, platform, objective):
    pl = PLATFORMS[platform](VIT)
    gap = benchmark.pedantic(lambda: _solve(VIT, pl, objective), rounds=1, iterations=1)
    benchmark.extra_info["gap"] = gap
    assert gap >= 0


@pytest.mark.parametrize("resource", ["pes", "l1_bytes", "area"])
def test_pareto_mobilenet_v2(benchmark, resource):
    front = benchmark.pedantic(lambda: cx.pareto_front(MOBILENET, cx.Platform("dla"), "latency", resource),
                               rounds=1, iterations=1)  # fmt: skip
    benchmark.extra_info["points"] = len(front)
    assert front.exact and len(front) > 1
