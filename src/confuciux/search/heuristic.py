"""The baseline a designer would write by hand: PEs in proportion to each layer's MACs, scaled
down until the design fits; buffers either each layer's fastest setting for its PEs or, when that
cannot fit (a buffer budget), the smallest setting — whichever fitting design is faster.  PE
counts are the largest in the action space not above the proportional share (any integer of the
box, or a level on the grid; with a searched mapping, each layer's fastest found point within its
share)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .problem import Problem
from .tracker import Tracker


@dataclass(frozen=True)
class Heuristic:
    """Not iterative: one epoch of at most ~80 designs (two bisections on the PE total)."""

    name: str = "heuristic"

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> None:  # fmt: skip
        run_heuristic(problem, tracker, self.name)


def _options_by_pe(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """The PE counts of the space, ascending, and for each the options with it (−1 padded,
    ascending buffer)."""
    levels = np.unique(problem.pes)
    by_pe = np.full((levels.size, int(np.max(np.bincount(np.searchsorted(levels, problem.pes))))), -1, dtype=np.int64)
    order = np.lexsort((problem.buffers, problem.pes))
    row = np.searchsorted(levels, problem.pes[order])
    col = np.arange(order.size) - np.searchsorted(row, row)  # rank within its PE count
    by_pe[row, col] = order
    return levels, by_pe


def run_heuristic(problem: Problem, tracker: Tracker, stage: str = "heuristic") -> None:
    macs = np.array([layer.macs for layer in problem.model], dtype=np.float64)
    share = macs / macs.sum()
    runtime = np.where(problem.valid, problem.table["runtime"], np.inf)
    if problem.pes.ndim == 2:  # a searched mapping: each layer's own (P, program) options
        levels, design = _mapping_design(problem, share, runtime)
    else:
        levels, design = _box_design(problem, share, runtime)
    for fastest in (True, False):
        lo, hi = float(levels[0]) * len(share), float(levels[-1]) / share.min()
        best_total = lo
        for _ in range(40):  # bisection on the PE total: the largest design that fits
            mid = np.sqrt(lo * hi)
            s = tracker.score(design(mid, fastest)[None, :])
            if s.feasible[0]:
                best_total, lo = mid, mid
            else:
                hi = mid
            if hi / lo < 1.001:
                break
        tracker.score(design(best_total, fastest)[None, :])
    tracker.end_epoch(stage)


Design = Callable[[float, bool], np.ndarray]


def _mapping_design(problem: Problem, share: np.ndarray, runtime: np.ndarray) -> tuple[np.ndarray, Design]:
    """For a searched mapping: each layer's fastest option (or, not ``fastest``, its least-area
    one) among those with at most its share of the PE total (its fewest-PE option when none)."""
    pes = np.where(problem.valid, problem.pes, np.iinfo(np.int64).max)
    levels = np.unique(problem.pes[problem.valid])
    area = np.where(problem.valid, problem.table["area"], np.inf)

    def design(total: float, fastest: bool) -> np.ndarray:
        ok = pes <= np.maximum(share * total, levels[0])[:, None]
        pick = np.argmin(np.where(ok, runtime if fastest else area, np.inf), axis=1)
        return np.asarray(np.where(ok.any(axis=1), pick, np.argmin(pes, axis=1)))

    return levels, design


def _box_design(problem: Problem, share: np.ndarray, runtime: np.ndarray) -> tuple[np.ndarray, Design]:
    levels, by_pe = _options_by_pe(problem)
    rows = np.arange(problem.n_layers)[:, None]

    def design(total: float, fastest: bool) -> np.ndarray:
        want = np.maximum(share * total, levels[0])
        p_idx = np.clip(np.searchsorted(levels, want, side="right") - 1, 0, len(levels) - 1)
        opts = by_pe[p_idx]  # (N, width): the options of each layer's PE count
        if not fastest:
            return np.asarray(opts[:, 0])  # the smallest buffer
        r = np.where(opts >= 0, runtime[rows, np.maximum(opts, 0)], np.inf)
        return np.asarray(opts[np.arange(problem.n_layers), np.argmin(r, axis=1)])

    return levels, design
