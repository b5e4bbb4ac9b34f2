"""The baseline a designer would write by hand: PEs in proportion to each layer's MACs, scaled
down until the design fits; buffers either each layer's fastest setting for its PEs or, when that
cannot fit (a buffer budget), the smallest setting — whichever fitting design is faster."""

from __future__ import annotations

import numpy as np

from .problem import Problem
from .tracker import Tracker


def run_heuristic(problem: Problem, tracker: Tracker) -> None:
    macs = np.array([layer.macs for layer in problem.model], dtype=np.float64)
    share = macs / macs.sum()
    levels = np.asarray(problem.platform.pe_levels)
    n_buf = len(problem.platform.buffer_levels)
    runtime = np.where(problem.valid, problem.table["runtime"], np.inf)

    def design(total: float, fastest: bool) -> np.ndarray:
        want = np.maximum(share * total, levels[0])
        p_idx = np.clip(np.searchsorted(levels, want, side="right") - 1, 0, len(levels) - 1)
        if not fastest:
            return p_idx * n_buf
        opts = p_idx[:, None] * n_buf + np.arange(n_buf)[None, :]
        k_idx = np.argmin(np.take_along_axis(runtime, opts, axis=1), axis=1)
        return p_idx * n_buf + k_idx

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
    tracker.end_epoch("heuristic")
