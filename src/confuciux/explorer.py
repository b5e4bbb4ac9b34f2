"""``Explorer(model, platform).run()``: search the per-layer PEs and buffers of a model."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .cost import evaluate
from .platform import Platform
from .result import Result, SlowerWithMorePEs, slower_with_more_pes
from .search.methods import METHODS, SearchMethod, get_method, method_name
from .search.moves import Frontiers, repair
from .search.problem import OBJECTIVES, Problem
from .search.tolerances import ROUNDING
from .search.tracker import Progress, Tracker
from .workload import Model

__all__ = ["Explorer", "METHODS", "Progress"]


#: Largest ``epochs`` accepted (the command line's limit too): more would run for years.
MAX_EPOCHS = 10**9


class Explorer:
    """Search per-layer (PEs, buffer) assignments of ``model`` on ``platform``.

    ``objective``: a name in :data:`~confuciux.search.objectives.OBJECTIVES` — ``"latency"``
    (Σ runtime, cycles), ``"energy"`` (Σ energy, nJ), ``"edp"`` (Σlatency × Σenergy) or
    ``"throughput"`` (slowest layer, cycles), or one you registered.  ``method``: a name in
    :data:`METHODS` or any :class:`~confuciux.search.methods.SearchMethod` instance (e.g.
    ``Genetic(population=40)``) — ``"confuciux"`` is REINFORCE for the first 2/3 of ``epochs``
    (one episode each) then the GA for the last 1/3 (one generation of 20 each).  ``seed`` makes every random
    choice reproducible (None: a fresh seed, recorded in the result).  ``callback(progress)`` is
    called after every epoch.  :meth:`run` returns a :class:`Result`; Ctrl-C during a run
    returns the best design found so far, marked ``interrupted``.  A search that ends without a
    design within the budgets repairs its best one (layers step down their frontiers until it
    fits), so the result is feasible whenever the lightest design is.
    """

    def __init__(
        self,
        model: Model,
        platform: Platform,
        objective: str = "latency",
        method: str | SearchMethod = "confuciux",
        epochs: int = 500,
        seed: int | None = None,
        callback: Callable[[Progress], Any] | None = None,
    ) -> None:
        if not isinstance(model, Model):
            raise TypeError(f"model must be a confuciux.Model, got {type(model).__name__}")
        if len(model) == 0:
            raise ValueError(f"model {model.name!r} has no layers")
        if not isinstance(platform, Platform):
            raise TypeError(f"platform must be a confuciux.Platform, got {type(platform).__name__}")
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}; expected one of {list(OBJECTIVES)}")
        self.search = get_method(method)  # ValueError / TypeError for an unknown method
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or not 1 <= epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must be an integer in [1, {MAX_EPOCHS}], got {epochs!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable")
        self.model, self.platform, self.objective = model, platform, objective
        self.method, self.epochs, self.callback = method_name(method), int(epochs), callback
        self.seed: int | None = None if seed is None else int(seed)
        self._problem: Problem | None = None

    def problem(self) -> Problem:
        """The problem :meth:`run` searches: the cost table of every layer on every option (built
        on the first call, then kept)."""
        if self._problem is None:
            self._problem = Problem(self.model, self.platform, self.objective)
        return self._problem

    def check(self) -> str | None:
        """Why no design can be feasible, when that is plain before any search — a layer no
        option can cost, or a budget that even the lightest design exceeds, with the least it
        needs and the layers that need the most — or None (:meth:`Problem.infeasible_reason`).
        :meth:`run` returns such a result at once, with this reason."""
        return self.problem().infeasible_reason()

    def run(self) -> Result:
        start = time.perf_counter()
        fresh = int(np.random.SeedSequence().generate_state(1, np.uint64)[0]) % 2**63
        seed = fresh if self.seed is None else int(self.seed)
        rng = np.random.default_rng(seed)
        problem = self.problem()
        problem.evaluations = 0
        tracker = Tracker(problem, self.method, self.epochs, self.callback)
        lower_bound = None
        interrupted = False
        reason = problem.infeasible_reason()
        if reason is not None:  # every method: an infeasible result saying why, no search
            return self._result(problem, tracker, seed, None, False, time.perf_counter() - start, reason)
        try:
            lower_bound = self._search(problem, tracker, rng)
        except KeyboardInterrupt:
            interrupted = True
        return self._result(problem, tracker, seed, lower_bound, interrupted, time.perf_counter() - start)

    def _search(self, problem: Problem, tracker: Tracker, rng: np.random.Generator) -> float | None:
        self.search.run(problem, tracker, rng, self.epochs)
        if tracker.best is not None and not tracker.best_feasible:
            # a short or unlucky run can end over budget: step its best design down the layers'
            # frontiers until it fits (scored and counted), so a design that fits is returned
            # whenever the lightest one does
            tracker.score(repair(problem, Frontiers(problem), tracker.best[None, :]))
        return tracker.lower_bound

    def _result(self, problem: Problem, tracker: Tracker, seed: int, lower_bound: float | None,
                interrupted: bool, seconds: float, reason: str | None = None) -> Result:  # fmt: skip
        pl = self.platform
        if tracker.best is None:  # interrupted before anything was scored
            choice = np.zeros(problem.n_layers, dtype=np.int64)
        else:
            choice = tracker.best
        pes, buffers = problem.decode(choice)
        dataflows = problem.decode_dataflows(choice)
        costs = evaluate(self.model, pes, buffers, dataflows, pl.hardware)
        spec = OBJECTIVES[self.objective]
        value = float(spec.value({name: costs[name] for name in spec.reads}))
        if lower_bound is not None and value < lower_bound <= value * (1 + ROUNDING):
            lower_bound = value  # a proven optimum, summed by the solver in another order
        usage = pl.usage(pes, costs)
        used = {k: {"used": float(usage[k]), "budget": b, "fraction": float(usage[k]) / b}
                for k, b in pl.budgets.items()}  # fmt: skip
        usable = pl.usable(costs)  # a physically impossible layer is no design, unless the platform allows it
        feasible = bool(np.all(usable) and pl.limits.fits({k: usage[k] for k in pl.budgets}))
        slower = slower_with_more_pes(self.model, pes, buffers, dataflows, pl.hardware) if feasible else []
        if slower:
            shown = ", ".join(str(i) for i in slower[:8]) + (", ..." if len(slower) > 8 else "")
            warnings.warn(f"{len(slower)} layer(s) of the design ({shown}) run slower with their P PEs than with "
                          "fewer (same buffer setting and dataflow; MAESTRO's runtime is not monotone in P on "
                          "strided shi/eye layers, docs/cost-model.md)", SlowerWithMorePEs, stacklevel=3)  # fmt: skip
        if reason is None and not feasible and not interrupted:
            reason = "no design within the budgets was found" if np.all(usable) else "no valid design was found"
        return Result(
            model_name=self.model.name, method=self.method, objective=self.objective, pes=pes, buffers=buffers,
            costs=costs, objective_value=value, constraint_used=used, feasible=feasible,
            history=tracker.history, improvements=tracker.improvements, evaluations=problem.evaluations,
            seconds=seconds, seed=seed,
            lower_bound=lower_bound, interrupted=interrupted,
            platform={"name": pl.name, "dataflow": pl.dataflow_label, "hardware": pl.hardware.name,
                      "deployment": pl.deployment, "budgets": dict(pl.budgets),
                      "pe_levels": list(pl.pe_levels), "buffer_levels": list(pl.buffer_levels),
                      **({"allow_impossible": True} if pl.allow_impossible else {})},
            space={**pl.describe_space(), **_mapping_record(problem)}, reason=reason, workload=self.model,
            hardware=pl.hardware, dataflows=dataflows,
        )  # fmt: skip


def _mapping_record(problem: Problem) -> dict[str, Any]:
    """What building a searched mapping's cost table took (its layer searches): for Result.space."""
    if problem.platform.mapping is None:
        return {}
    return {"mapping_evaluations": int(problem.mapping_evaluations), "mapping_seconds": problem.mapping_seconds}
