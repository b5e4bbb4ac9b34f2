"""``check_method(method)``: does a search method keep the :class:`SearchMethod` contract?

A third party that writes a method runs this in its own tests (as scikit-learn's
``check_estimator`` checks an estimator): every check runs the method on small problems whose
optimum is known by enumeration, and a failure raises :class:`MethodCheckError` (an
AssertionError) naming the check and what went wrong.  :data:`CHECKS` lists the checks, one
function each, so that a test suite may run them one by one (e.g. as parametrized tests).

What is checked (the contract in :mod:`confuciux.search.methods`):

* ``protocol`` — a non-empty ``name`` and ``run(problem, tracker, rng, epochs, start=None)``;
* ``deterministic`` — the same seed gives the same history, designs, evaluations and bound, bit
  for bit; every random choice comes from ``rng`` (NumPy's and Python's global generators are
  left alone);
* ``picklable`` — the method survives pickling (sweeps send it to worker processes) and the
  copy finds the same designs;
* ``epochs_and_counts`` — between 1 and ``epochs`` epochs ended, one history entry and one
  progress call each, designs scored through the tracker (evaluations counted), the problem's
  table left unchanged;
* ``designs`` — what ``run`` returns is None or option indices (D, N) within the action space,
  with and without ``start`` designs;
* ``honest_best`` — the tracker's best design scores as the tracker recorded it;
* ``feasible`` — a feasible design is found when every design fits, on every built-in
  objective (or the method refuses an objective with a ValueError before it runs);
* ``certified_bound`` — a lower bound certified with ``tracker.certify`` is no more than the
  optimum;
* ``interrupt`` — Ctrl-C (KeyboardInterrupt from the progress callback) stops the method: the
  exception leaves ``run`` at once (the Explorer then returns the best design so far).
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..platform import Platform
from ..workload import Layer, Model
from .methods import SearchMethod
from .objectives import OBJECTIVES
from .problem import Problem
from .tolerances import ROUNDING
from .tracker import Progress, Tracker

__all__ = ["check_method", "CHECKS", "MethodCheckError"]

#: Epochs of each run (a method may end fewer; a check never needs a long search).
EPOCHS = 4


class MethodCheckError(AssertionError):
    """A method broke the contract; the message names the check."""


@dataclass
class _Run:
    """One run of a method: its tracker, what it returned, the problem's evaluation count and
    the progress calls."""

    tracker: Tracker
    returned: Any
    evaluations: int
    calls: list[Progress]


def _model() -> Model:
    return Model("check", (Layer(16, 8, 10, 10, 3, 3, name="conv"), Layer(1, 16, 8, 8, 3, 3, "DSCONV", name="dw"),
                           Layer.gemm(8, 32, 16, name="fc")))  # fmt: skip


def _platform(budgets: dict[str, float] | None = None) -> Platform:
    # P 1..4 × k 1..2: 8 options a layer, 512 designs
    return Platform("dla", budgets=budgets or {}, pe_levels=(1, 2, 4), buffer_levels=(1, 2))


def _problem(objective: str = "latency", tight: bool = False) -> Problem:
    model = _model()
    if not tight:
        return Problem(model, _platform({"pes": 1e6}), objective)
    loose = Problem(model, _platform(), objective)
    designs = _all_designs(loose)
    pes = loose.pes[designs].sum(axis=1)
    return Problem(model, _platform({"pes": float(np.median(pes))}), objective)  # half the designs fit


def _all_designs(problem: Problem) -> np.ndarray:
    grids = np.meshgrid(*[np.arange(problem.n_options)] * problem.n_layers, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def _optimum(problem: Problem) -> float:
    s = problem.score(_all_designs(problem), count=False)
    return float(np.min(np.where(s.feasible, s.objective, np.inf)))


def _fail(check: str, method: SearchMethod, message: str) -> MethodCheckError:
    return MethodCheckError(f"check_method[{check}] {getattr(method, 'name', method)!r}: {message}")


def _run(method: SearchMethod, problem: Problem, seed: int = 0, start: np.ndarray | None = None,
         callback: Callable[[Progress], object] | None = None) -> _Run:  # fmt: skip
    calls: list[Progress] = []

    def record(p: Progress) -> None:
        calls.append(p)
        if callback is not None:
            callback(p)

    tracker = Tracker(problem, method.name, EPOCHS, record)
    before = problem.evaluations
    returned = method.run(problem, tracker, np.random.default_rng(seed), EPOCHS, start)
    return _Run(tracker, returned, problem.evaluations - before, calls)


def _fingerprint(r: _Run) -> tuple[Any, ...]:
    best = None if r.tracker.best is None else r.tracker.best.tolist()
    returned = None if r.returned is None else np.asarray(r.returned).tolist()
    history = [tuple(sorted((k, repr(v)) for k, v in h.items())) for h in r.tracker.history]
    return best, returned, history, r.evaluations, repr(r.tracker.lower_bound)


def check_protocol(method: Any) -> None:
    """A name and a run method (:class:`SearchMethod`)."""
    if not isinstance(method, SearchMethod):
        raise _fail("protocol", method, "not a SearchMethod: needs a name and run(problem, tracker, rng, epochs, "
                                        "start=None)")  # fmt: skip
    if not isinstance(method.name, str) or not method.name:
        raise _fail("protocol", method, f"name must be a non-empty string, got {method.name!r}")


def check_picklable(method: SearchMethod) -> None:
    """Pickled and unpickled (as sweeps send it to workers), it finds the same designs."""
    try:
        copy = pickle.loads(pickle.dumps(method))
    except Exception as exc:  # any failure to pickle is the finding
        raise _fail("picklable", method, f"cannot be pickled for a process pool ({type(exc).__name__}: {exc})") from exc
    if _fingerprint(_run(copy, _problem())) != _fingerprint(_run(method, _problem())):
        raise _fail("picklable", method, "an unpickled copy finds other designs than the original")


def check_deterministic(method: SearchMethod) -> None:
    """Same seed, same run, bit for bit; the global random generators untouched."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        first, second = _run(method, _problem(tight=True), 7), _run(method, _problem(tight=True), 7)
        touched = not _same_state(np.random.get_state(), np_state) or random.getstate() != py_state
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    if touched:
        raise _fail("deterministic", method, "it draws from NumPy's or Python's global random generator; draw every "
                                             "random choice from the rng it is given")  # fmt: skip
    if _fingerprint(first) != _fingerprint(second):
        raise _fail("deterministic", method, "two runs with the same seed differ (history, designs, evaluations or "
                                             "bound)")  # fmt: skip


def _same_state(a: Any, b: Any) -> bool:
    return bool(a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:]))


def check_epochs_and_counts(method: SearchMethod) -> None:
    """1..epochs epochs, one history entry and progress call each; scoring counted; the table
    left alone."""
    problem = _problem(tight=True)
    table = {k: v.copy() for k, v in problem.table.items()}
    valid = problem.valid.copy()
    r = _run(method, problem)
    t = r.tracker
    if not 1 <= t.epoch <= EPOCHS:
        raise _fail("epochs_and_counts", method, f"ended {t.epoch} epochs of {EPOCHS} (tracker.end_epoch once an "
                                                 "epoch, at least once)")  # fmt: skip
    if len(t.history) != t.epoch or len(r.calls) != t.epoch:
        raise _fail("epochs_and_counts", method, "the history and the progress calls must follow tracker.end_epoch")
    if r.evaluations <= 0 or t.best is None:
        raise _fail("epochs_and_counts", method, "no design was scored through tracker.score")
    counts = [h["evaluations"] for h in t.history]
    if counts != sorted(counts):
        raise _fail("epochs_and_counts", method, "the evaluation count went down")
    if not np.array_equal(valid, problem.valid) or any(not np.array_equal(v, problem.table[k], equal_nan=True)
                                                       for k, v in table.items()):  # fmt: skip
        raise _fail("epochs_and_counts", method, "it changed the problem's cost table")


def _check_designs(method: SearchMethod, problem: Problem, returned: Any, how: str) -> None:
    if returned is None:
        return
    a = np.asarray(returned)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] != problem.n_layers or a.dtype.kind not in "iu":
        raise _fail("designs", method, f"{how}: run must return None or option indices (D, {problem.n_layers}), "
                                       f"got shape {a.shape}, dtype {a.dtype}")  # fmt: skip
    if a.min() < 0 or a.max() >= problem.n_options:
        raise _fail("designs", method, f"{how}: an option index outside 0..{problem.n_options - 1}")


def check_designs(method: SearchMethod) -> None:
    """What run returns: None or designs in the action space, with and without ``start``."""
    problem = _problem(tight=True)
    _check_designs(method, problem, _run(method, problem).returned, "without start")
    designs = _all_designs(problem)
    s = problem.score(designs, count=False)
    start = designs[np.argsort(problem.fitness_key(s), kind="stable")[:3]]
    r = _run(method, _problem(tight=True), start=start.copy())
    _check_designs(method, problem, r.returned, "with start designs")


def check_honest_best(method: SearchMethod) -> None:
    """The tracker's best design scores as recorded."""
    problem = _problem(tight=True)
    t = _run(method, problem).tracker
    if t.best is None or t.best_scores is None:
        raise _fail("honest_best", method, "no best design was recorded")
    s = problem.score(t.best, count=False)
    same = bool(s.feasible[0]) == t.best_feasible and (not t.best_feasible or s.objective[0] == t.best_objective)
    if not same:
        raise _fail("honest_best", method, "the best design recorded does not score as the tracker says")


def check_feasible(method: SearchMethod) -> None:
    """A feasible design when every design fits, on every built-in objective it accepts."""
    for objective in ("latency", "energy", "edp", "throughput"):
        if objective not in OBJECTIVES:
            continue
        try:
            r = _run(method, _problem(objective))
        except ValueError:
            continue  # a method may refuse an objective, as long as it says so
        if not r.tracker.best_feasible:
            raise _fail("feasible", method, f"objective {objective}: no feasible design found where every design fits")


def check_certified_bound(method: SearchMethod) -> None:
    """A certified lower bound is never above the optimum."""
    for objective in ("latency", "edp"):
        problem = _problem(objective, tight=True)
        t = _run(method, problem).tracker
        if t.lower_bound is not None:
            best = _optimum(problem)
            if t.lower_bound > best * (1 + ROUNDING):
                raise _fail("certified_bound", method, f"objective {objective}: certified lower bound "
                                                       f"{t.lower_bound!r} is above the optimum {best!r}")  # fmt: skip


class _Stop(KeyboardInterrupt):
    pass


def check_interrupt(method: SearchMethod) -> None:
    """KeyboardInterrupt from the progress callback leaves ``run`` at once."""
    calls = 0

    def stop(p: Progress) -> None:
        nonlocal calls
        calls += 1
        raise _Stop

    problem = _problem(tight=True)
    try:
        _run(method, problem, callback=stop)
    except _Stop:
        if calls != 1:
            raise _fail("interrupt", method, f"the progress callback ran {calls} times after Ctrl-C") from None
        return
    raise _fail("interrupt", method, "a KeyboardInterrupt from the progress callback did not leave run (do "
                                     "not catch it: the Explorer returns the best design so far)")  # fmt: skip


#: Every check, in the order :func:`check_method` runs them.
CHECKS: tuple[Callable[[Any], None], ...] = (
    check_protocol, check_deterministic, check_picklable, check_epochs_and_counts, check_designs,
    check_honest_best, check_feasible, check_certified_bound, check_interrupt,
)  # fmt: skip


def check_method(method: Any) -> None:
    """Run every check of :data:`CHECKS` on ``method`` (an instance); raise
    :class:`MethodCheckError` naming the first that fails.  A few seconds for most methods."""
    for check in CHECKS:
        check(method)
