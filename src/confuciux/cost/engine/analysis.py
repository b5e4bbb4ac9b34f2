"""Pass 5: the level analysis — delays, runtime, traffic and buffer sizes, level by level.

For every case of a level (pass 3) MAESTRO costs one step: the ingress and egress volumes
(pass 4) cross the level's NoC, the compute delay is the partial sums on the critical path
divided by the SIMD lanes at the innermost level, and the runtime of a sub-cluster — analysed
recursively with the case's tile — at an outer one.  A step takes the longest of ingress,
compute and egress (double buffering), except the all-Init case, which pays ingress plus
compute; the top level also waits for the off-chip traffic of half its L2 working set.  The
level's runtime and counters are the sums over its cases, each times its occurrences.

A level's analysis depends only on the level, the tile it is handed and the hardware flags, so
it is memoised: designs that share a tile share the work (MAESTRO redoes it for every case).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

from .cases import Case, cases
from .dims import Dims
from .levels import Level
from .problem import Problem
from .quirks import add, cdiv, ceil_div_double, mul, noc_delay
from .reuse import (
    Tiles,
    critical_partial_sums,
    mapped_volume,
    output_mapping,
    spatial_egress,
    spatial_ingress,
    sub_dims,
    tiles_of,
)

__all__ = ["Flags", "LevelResult", "Analysis", "INPUT", "FILTER", "OUTPUT"]

#: Tensor indices in the per-tensor tuples (MAESTRO's data classes).
INPUT, FILTER, OUTPUT = 0, 1, 2


@dataclass(frozen=True)
class Flags:
    """The hardware flags the analysis reads: SIMD lanes per PE, NoC bandwidth (elements/cycle,
    every level), NoC latency (hops x cycles per hop) and off-chip bandwidth (elements/cycle)."""

    simd: int
    noc_bw: int
    noc_latency: int
    offchip_bw: int


@dataclass(frozen=True)
class LevelResult:
    """What MAESTRO's analysis of one level in one tile returns (per-tensor tuples indexed by
    INPUT, FILTER, OUTPUT).  ``first_leaf`` is the result MAESTRO stores first in the whole
    recursion (the L1 sizes are read from it); ``recursed``: some case analysed a sub-cluster."""

    runtime: int
    computations: int
    l2_read: tuple[int, int, int]
    l2_write: tuple[int, int, int]
    l1_read: tuple[int, int, int]
    l1_write: tuple[int, int, int]
    l2_size: tuple[int, int, int]
    l1_size: tuple[int, int, int]
    peak_bw: int
    avg_bw: float
    offchip_bw: int
    delays: tuple[tuple[int, int, int], ...]  # (min, max, average) of ingress, egress, compute
    avg_active: float
    arithmetic_intensity: float
    total_cases: int
    recursed: bool
    first_leaf: LevelResult | None = field(default=None, repr=False)

    @property
    def leaf(self) -> LevelResult:
        return self.first_leaf if self.first_leaf is not None else self


class _Acc:
    """The running sums of one level analysis (MAESTRO's CostAnalysisResults)."""

    def __init__(self) -> None:
        self.l2_read = [0, 0, 0]
        self.l2_write = [0, 0, 0]
        self.l1_read = [0, 0, 0]
        self.l1_write = [0, 0, 0]
        self.l2_size = [0, 0, 0]
        self.l1_size = [0, 0, 0]
        self.runtime = 0
        self.computations = 0
        self.peak_bw = 0
        self.avg_bw = 0
        self.offchip_bw = 0
        # MAESTRO starts the bounds at the largest and the smallest *positive* long double, so a
        # maximum over non-positive delays prints 0.
        self.delay_min = [math.inf, math.inf, math.inf]
        self.delay_max = [sys.float_info.min] * 3
        self.delay_sum = [0, 0, 0]
        self.active = 0.0
        self.intensity = 0.0
        self.total = 0
        self.recursed = False
        self.first_leaf: LevelResult | None = None


class Analysis:
    """The analysis of one layer's completed levels under given flags, with its memo."""

    def __init__(self, problem: Problem, levels: tuple[Level, ...], flags: Flags) -> None:
        self.problem = problem
        self.levels = levels
        self.flags = flags
        self.tiles: dict[int, Tiles] = {}
        self.memo: dict[tuple[int, Dims], LevelResult] = {}
        self.coupled = (problem.input, problem.filter)

    def top(self) -> LevelResult:
        return self.level(0, self.levels[0].dims)

    def level(self, index: int, dims: Dims) -> LevelResult:
        key = (index, dims)
        if key not in self.memo:
            self.memo[key] = self._analyse(self.levels[index], dims)
        return self.memo[key]

    def _tiles(self, level: Level) -> Tiles:
        if level.index not in self.tiles:
            self.tiles[level.index] = tiles_of(level)
        return self.tiles[level.index]

    def _analyse(self, level: Level, dims: Dims) -> LevelResult:
        tiles = self._tiles(level)
        acc = _Acc()
        first_done = False
        for case in cases(level, dims):
            if not first_done:
                self._size_buffers(acc, level, tiles, dims, case)
            if self._case(acc, level, tiles, case):
                first_done = True
        return self._result(acc)

    def _size_buffers(self, acc: _Acc, level: Level, tiles: Tiles, dims: Dims, case: Case) -> None:
        """MAESTRO sizes the buffers from the first case it does not skip — and from every
        skipped case before it (quirk: its "first case" flag only advances on a kept case, so
        the input shares add up over those cases and the output share is the last one's)."""
        for t, coupled in enumerate(self.coupled):
            size = 1
            for dim in coupled:
                size = mul(size, dims.size(dim), "tensor size")
            ingress = spatial_ingress(level, tiles, coupled, case)
            acc.l2_size[t] = add(acc.l2_size[t], mul(2, ingress, "L2 size"), "L2 size")
            acc.l2_write[t] = size
            acc.l1_size[t] = add(acc.l1_size[t], mul(2, mapped_volume(tiles, coupled), "L1 size"), "L1 size")
        out = self.problem.output
        size = 1
        for dim in out:
            extent = dims.size(dim) - dims.size(dims.counterpart(dim)) + 1 if dims.overlapped(dim) else dims.size(dim)
            size = mul(size, extent, "tensor size")
        acc.l2_size[OUTPUT] = mul(2, spatial_egress(level, tiles, out, case), "L2 size")
        acc.l2_read[OUTPUT] = size
        acc.l1_size[OUTPUT] = mul(2, mapped_volume(tiles, out), "L1 size")

    def _case(self, acc: _Acc, level: Level, tiles: Tiles, case: Case) -> bool:
        """Cost one case; False when MAESTRO skips it (no partial sums on its critical path)."""
        occ = case.occurrences
        out = self.problem.output
        egress = spatial_egress(level, tiles, out, case)
        macs = output_mapping(level, tiles, out, case)
        acc.l2_write[OUTPUT] = add(acc.l2_write[OUTPUT], mul(occ, egress, "writes"), "output L2 writes")
        acc.l1_write[OUTPUT] = add(acc.l1_write[OUTPUT], mul(occ, macs, "writes"), "output L1 writes")
        acc.l1_read[OUTPUT] = add(acc.l1_read[OUTPUT], mul(occ, macs, "reads"), "output L1 reads")
        psums = critical_partial_sums(level, tiles, out, case)
        if psums <= 0:
            return False
        ingress = 0
        for t, coupled in enumerate(self.coupled):
            volume = spatial_ingress(level, tiles, coupled, case)
            ingress = add(ingress, volume, "ingress")
            acc.l2_read[t] = add(acc.l2_read[t], mul(occ, volume, "reads"), "L2 reads")
            acc.l1_write[t] = acc.l2_read[t]  # quirk: the L1 writes are a copy of the L2 reads
            acc.l1_read[t] = add(acc.l1_read[t], mul(occ, macs, "reads"), "L1 reads")
        acc.intensity = _fdiv(float(macs), float(ingress))  # MAESTRO divides the longs as doubles
        compute, active, subs = self._compute(acc, level, tiles, case, psums)
        delays = (noc_delay(ingress, self.flags.noc_bw, self.flags.noc_latency),
                  noc_delay(egress, self.flags.noc_bw, self.flags.noc_latency), compute)  # fmt: skip
        step = add(compute, delays[0], "step") if case.all_init else max(delays[1], compute, delays[0])
        if level.index == 0:
            step = self._offchip(acc, step, compute)
        acc.runtime = add(acc.runtime, mul(occ, step, "runtime"), "runtime")
        acc.computations = add(acc.computations, mul(occ, macs, "MACs"), "MACs")
        sub_active = sum(r.avg_active * n for r, n in subs)
        acc.active += (sub_active if sub_active != 0 else active) * occ
        compute = compute or 1
        traffic = max(ingress, egress)
        acc.peak_bw = max(acc.peak_bw, cdiv(traffic, compute, "compute delay"))
        acc.avg_bw = add(acc.avg_bw, cdiv(mul(occ, traffic, "traffic"), compute, "compute delay"), "bandwidth")
        for k, d in enumerate((delays[0], delays[1], compute)):
            acc.delay_min[k] = min(acc.delay_min[k], d)
            acc.delay_max[k] = max(acc.delay_max[k], d)
            acc.delay_sum[k] = add(acc.delay_sum[k], mul(occ, d, "delays"), "delays")
        acc.total += occ
        return True

    def _compute(
        self, acc: _Acc, level: Level, tiles: Tiles, case: Case, psums: int
    ) -> tuple[int, int, list[tuple[LevelResult, int]]]:
        """The step's compute delay, the sub-clusters it keeps busy, and the sub-cluster results
        with how many sub-clusters each stands for."""
        sp = case.by_dim[level.maps[level.spatial].dim]
        active = level.edge_clusters if sp.edge else level.size
        if level.index == len(self.levels) - 1:
            return ceil_div_double(psums, self.flags.simd), active, []
        below = level.index + 1
        subs: list[tuple[LevelResult, int]] = []
        if sp.edge and sp.sp_edge_edge:
            subs.append((self.level(below, sub_dims(level, tiles, case, True)), 1))
            if level.edge_clusters - 1 > 0:
                subs.append((self.level(below, sub_dims(level, tiles, case, False)), level.edge_clusters - 1))
        else:
            subs.append((self.level(below, sub_dims(level, tiles, case, False)), active))
        if not acc.recursed:
            acc.recursed = True
            acc.first_leaf = subs[0][0].leaf
        return max([0, *(r.runtime for r, _ in subs)]), active, subs

    def _offchip(self, acc: _Acc, step: int, compute: int) -> int:
        """Top level: the step also waits for half the L2 working set to stream from off-chip
        (double buffering).  Quirks: the off-chip bandwidth requirement divides by the compute
        delay before MAESTRO guards it against 0 (SIGFPE), and is halved again at every case."""
        bw = self.flags.offchip_bw
        out_req = acc.l2_size[OUTPUT]
        in_req = add(acc.l2_size[INPUT], acc.l2_size[FILTER], "L2 size")
        ingress = cdiv(cdiv(in_req, bw, "off-chip bandwidth"), 2, "2")
        egress = cdiv(cdiv(out_req, bw, "off-chip bandwidth"), 2, "2")
        step = max(ingress, step, egress)
        req = max(acc.offchip_bw, cdiv(out_req, compute, "a top-level step with no compute delay"))
        req = max(req, cdiv(in_req, compute, "a top-level step with no compute delay"))
        acc.offchip_bw = cdiv(req, 2, "2")
        return step

    def _result(self, acc: _Acc) -> LevelResult:
        total = acc.total
        # averages: a long double quotient truncated to long; exact integer division gives the
        # same value for every realistic size (the quotient would have to lie within 2**-64 of
        # an integer)
        delays = tuple(
            (
                _as_long(acc.delay_min[k]),
                _as_long(acc.delay_max[k]),
                cdiv(acc.delay_sum[k], total, "cases") if total else 0,
            )
            for k in range(3)
        )
        return LevelResult(
            runtime=acc.runtime,
            computations=acc.computations,
            l2_read=_t(acc.l2_read),
            l2_write=_t(acc.l2_write),
            l1_read=_t(acc.l1_read),
            l1_write=_t(acc.l1_write),
            l2_size=_t(acc.l2_size),
            l1_size=_t(acc.l1_size),
            peak_bw=acc.peak_bw,
            avg_bw=_fdiv(float(acc.avg_bw), float(total)),
            offchip_bw=acc.offchip_bw,
            delays=delays,
            avg_active=acc.active / total if total else acc.active,
            arithmetic_intensity=acc.intensity,
            total_cases=total,
            recursed=acc.recursed,
            first_leaf=acc.first_leaf,
        )


def _t(v: list[int]) -> tuple[int, int, int]:
    return (v[0], v[1], v[2])


def _fdiv(a: float, b: float) -> float:
    """Floating division as C does it: x/0 is ±inf, 0/0 NaN."""
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _as_long(x: float) -> int:
    """A delay bound as MAESTRO stores it (``long``); a level with no case leaves it at its
    sentinel, which only an invalid result can carry."""
    return int(x) if math.isfinite(x) else 0
