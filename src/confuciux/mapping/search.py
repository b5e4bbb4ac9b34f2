"""One layer's mapping frontier: the Pareto set of resource against latency or energy, over the
PEs and the mapping, physically valid designs only.

:func:`search` evaluates candidates — a mapping (a row of the space's encoding) on a PE count —
through an evaluator (:mod:`.evaluate`) and keeps every valid point: engine status ``OK``
(MAESTRO printed it and it breaks no physical bound; ``IMPOSSIBLE`` and invalid results are
dropped) and within the caps.  Two methods:

* ``"exhaustive"``: every member of the space (one per program, :meth:`FreeEncoding.keys`) on
  every PE count — the exact frontier of the space;
* ``"genetic"``: GAMMA's operators (:mod:`.operators`) over a population, with a pre-screen:
  each generation breeds ``pool`` times more children than it evaluates and sends to the engine
  those the analytic estimate (:mod:`.estimate`, calibrated on the points evaluated so far)
  ranks best, plus a share drawn at random.  Parents are the points nearest the current
  frontier (cost over the best cost at no more resource).  The first generation holds seeds of
  the best parallel structures (:mod:`.seeds`), under an L2 cap copies of them with an outer
  tile grown toward the cap, for energy a quiet family ahead of them (:func:`.seeds.quiet_rows`:
  a trivial inner cluster, large outer tiles; on a window layer under an L2 cap also on 2-4 PEs,
  the top tiles grown to the cap, :func:`.seeds.quiet_clustered`), and under an area, power or PE cap copies moved
  to the most PEs the estimate says fit (as is a share of every generation's children); a
  search over several PE counts first evaluates the space's lightest corner (every tile 1, the
  fewest PEs).  With ``Genetic.polish_from`` or more evaluations the last ``Genetic.polish`` of
  them go to a deterministic local search (:mod:`.polish`): every single-gene move of the best
  point not polished yet, best first; below it the last ``Genetic.short_polish`` go to the
  transposed splits of the best structures' seeds and of the best points, then to that search.

``"auto"`` enumerates when the space times the PE counts fits the evaluation budget.  Every
random choice comes from ``seed``: same arguments, same result.  Duplicates (same program on
the same PEs) are evaluated once and count once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..cost.engine import Status
from ..dataflow import Dataflow, Template
from ..hardware import Hardware
from ..search.frontier import frontier as pareto_indices
from ..workload import Layer
from . import native
from .bounds import mapping_bound
from .estimate import buffers as estimated_buffers
from .estimate import critical_path, estimate
from .estimate import energy as estimated_energy
from .evaluate import OK, OUTPUTS, Evaluator, default_evaluator, design_costs, direct_evaluator, engine_flags
from .genome import FreeEncoding
from .operators import Operators, breed, breed_at
from .polish import neighbours, transposed
from .seeds import fill_l2, quiet_clustered, quiet_rows, seed_rows
from .settings import Genetic
from .space import MappingSpace
from .template import TemplateEncoding

Encoding = FreeEncoding | TemplateEncoding

__all__ = ["search", "best", "MappingFrontier", "Genetic", "OBJECTIVES", "RESOURCES", "CAPS"]

#: Objectives: the cost a frontier minimises (``latency`` in cycles, ``energy`` in nJ).
OBJECTIVES = {"latency": "runtime", "energy": "energy"}
#: Resources a frontier trades the objective against, and the caps a design must respect:
#: ``pes``, ``area`` (µm²), ``power`` (mW), ``l1_bytes`` (per PE), ``l2_bytes``.
RESOURCES = ("pes", "area", "power", "l1_bytes", "l2_bytes")
CAPS = RESOURCES
_COSTS = ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "pes")
#: The engine outputs :func:`.evaluate.design_costs` reads under ``Hardware.maestro()``.
_PRINTED = ("energy", "area", "power", "runtime", "l1_bytes", "l2_bytes")


@dataclass(frozen=True)
class MappingFrontier:
    """A layer's frontier: points sorted by ``resource`` ascending with the objective strictly
    descending.  Per point: ``pes``, ``runtime`` (cycles), ``energy`` (nJ), ``area`` (µm²),
    ``power`` (mW), ``l1_bytes`` (per PE), ``l2_bytes`` and ``programs`` (the MAESTRO program
    evaluated); ``bound`` is the compute bound ``MACs / (P · SIMD)`` (cycles) at each point's P.
    ``evaluations`` counts the engine evaluations the search made (duplicates once) and
    ``statuses`` how many ended in each engine status (``OK`` ones over a cap as ``OVER_CAP``,
    below their mapping's own bound as ``MAPPING_BOUND``)."""

    layer: Layer
    objective: str
    resource: str
    pes: np.ndarray
    runtime: np.ndarray
    energy: np.ndarray
    area: np.ndarray
    power: np.ndarray
    l1_bytes: np.ndarray
    l2_bytes: np.ndarray
    programs: tuple[Dataflow, ...]
    bound: np.ndarray
    evaluations: int
    method: str
    space: MappingSpace
    statuses: Mapping[str, int]
    rows: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.programs)

    @property
    def cost(self) -> np.ndarray:
        """The objective of each point (cycles or nJ)."""
        return getattr(self, OBJECTIVES[self.objective])  # type: ignore[no-any-return]

    @property
    def usage(self) -> np.ndarray:
        """The resource of each point."""
        return getattr(self, self.resource)  # type: ignore[no-any-return]

    @property
    def best(self) -> int | None:
        """Index of the point of least objective (the last), None for an empty frontier."""
        return len(self) - 1 if len(self) else None

    def point(self, i: int) -> dict[str, Any]:
        """Every value of point ``i``."""
        return {
            "pes": int(self.pes[i]), "runtime": float(self.runtime[i]), "energy": float(self.energy[i]),
            "area": float(self.area[i]), "power": float(self.power[i]), "l1_bytes": float(self.l1_bytes[i]),
            "l2_bytes": float(self.l2_bytes[i]), "program": self.programs[i], "bound": float(self.bound[i]),
        }  # fmt: skip


class _Seen:
    """The keys of the points seen so far (int64 rows), exactly: their 64-bit hashes sorted,
    the keys in the same order; a hash matches only when the whole key does, so a collision
    never loses a candidate.  Arrays are replaced, never changed in place (a copy is cheap).
    (NumPy; the search uses the compiled :class:`.native.Seen` when it is built.)"""

    def __init__(self, width: int) -> None:
        self.hash = np.zeros(0, dtype=np.uint64)
        self.keys = np.zeros((0, width), dtype=np.int64)

    def copy(self) -> _Seen:
        """A copy (shares the arrays: they are replaced, never changed)."""
        out = _Seen.__new__(_Seen)
        out.hash, out.keys = self.hash, self.keys
        return out

    def fresh(self, keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Indices (ascending) of the keys neither seen nor equal to an earlier one of
        ``keys``; they are seen from now on."""
        n = hashes.size
        order = np.argsort(hashes, kind="stable")
        hs = hashes[order]
        new_group = np.empty(n, dtype=bool)
        new_group[:1] = True
        np.not_equal(hs[1:], hs[:-1], out=new_group[1:])
        leader = np.empty(n, dtype=np.int64)  # the first row of each row's hash
        leader[order] = order[np.flatnonzero(new_group)][np.cumsum(new_group) - 1]
        if not np.array_equal(keys, keys[leader]):  # two keys of one hash in the batch: the exact slow way
            return self._fresh_slow(keys, hashes)
        first = np.flatnonzero(leader == np.arange(n))
        pos = np.searchsorted(self.hash, hashes[first])
        at = np.minimum(pos, max(self.hash.size - 1, 0))
        hit = (pos < self.hash.size) & (self.hash[at] == hashes[first]) if self.hash.size else np.zeros(0, bool)
        if hit.any():
            same = np.all(self.keys[at[hit]] == keys[first[hit]], axis=1)
            if not same.all():  # a seen key of the same hash differs: look at every one of that hash
                return self._fresh_slow(keys, hashes)
            first = first[~hit]
        self._add(keys[first], hashes[first])
        return first

    def _fresh_slow(self, keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        known = {k.tobytes() for k in self.keys}
        new = []
        for i, k in enumerate(keys):
            b = k.tobytes()
            if b not in known:
                known.add(b)
                new.append(i)
        idx = np.array(new, dtype=np.int64)
        self._add(keys[idx], hashes[idx])
        return idx

    def _add(self, keys: np.ndarray, hashes: np.ndarray) -> None:
        if not hashes.size:
            return
        by = np.argsort(hashes, kind="stable")  # inserted at one place, they must be in order too
        keys, hashes = keys[by], hashes[by]
        where = np.searchsorted(self.hash, hashes, side="right")
        self.hash = np.insert(self.hash, where, hashes)
        self.keys = np.insert(self.keys, where, keys, axis=0)


class _Log:
    """Every point evaluated: its row, PE count, costs and whether it is a valid design.  The
    attributes are views of the first ``len`` entries of buffers that double when full (a
    search adds a batch a generation: no copy of the whole log each time); a view taken
    earlier keeps its values."""

    _ARRAYS = ("pes", "status", "valid", "overuse", "estimate", "l2_estimate", "physical")
    _DTYPES = (np.int64, np.uint8, bool, np.float64, np.float64, np.float64, bool)

    def __init__(self, width: int) -> None:
        self.seen: _Seen | native.Seen = native.Seen(width + 1) if native.AVAILABLE else _Seen(width + 1)
        self.width = width
        self.below_bound = 0
        self._n = 0
        self._grow(0)

    def _grow(self, cap: int) -> None:
        """Buffers of ``cap`` entries holding the log so far, and the views."""
        n = self._n
        old = getattr(self, "_buf", None)
        buf = {k: np.empty(cap, dtype=t) for k, t in zip(self._ARRAYS, self._DTYPES, strict=True)}
        buf.update({f"cost {k}": np.empty(cap) for k in _COSTS})  # (a cost "pes" besides the int PEs)
        buf["rows"] = np.empty((cap, self.width), dtype=np.int64)
        if old is not None:
            for k, a in buf.items():
                a[:n] = old[k][:n]
        self._buf = buf
        self._views()

    def _views(self) -> None:
        n, buf = self._n, self._buf
        self.rows, self.pes, self.status, self.valid = (buf[k][:n] for k in ("rows", "pes", "status", "valid"))
        self.overuse, self.estimate, self.l2_estimate = (buf[k][:n] for k in ("overuse", "estimate", "l2_estimate"))
        self.physical = buf["physical"][:n]
        self.costs: dict[str, np.ndarray] = {k: buf[f"cost {k}"][:n] for k in _COSTS}

    def __len__(self) -> int:
        return self._n

    def add(self, rows: np.ndarray, pes: np.ndarray, costs: Mapping[str, np.ndarray], status: np.ndarray,
            valid: np.ndarray, overuse: np.ndarray, est: np.ndarray, l2_est: np.ndarray) -> None:  # fmt: skip
        n, m = self._n, int(pes.size)
        if n + m > self._buf["pes"].size:
            self._grow(max(2 * (n + m), 256))
        new = {"rows": rows, "pes": pes, "status": status, "valid": valid, "overuse": overuse, "estimate": est,
               "l2_estimate": l2_est, "physical": np.isfinite(overuse)}  # fmt: skip
        new.update({f"cost {k}": costs[k] for k in _COSTS})
        for k, a in new.items():
            self._buf[k][n : n + m] = a
        self._n = n + m
        self._views()


class _Run:
    """One search: the problem, the evaluator and the log of every point evaluated."""

    def __init__(
        self,
        layer: Layer,
        space: MappingSpace,
        pes: np.ndarray,
        objective: str,
        resource: str,
        caps: Mapping[str, float],
        hardware: Hardware,
        area_model: str,
        flags: Mapping[str, Any],
        evaluator: Evaluator | None,
        strict: bool = True,
    ) -> None:
        self.layer, self.space, self.P = layer, space, pes
        self.strict = strict
        self.field = OBJECTIVES[objective]
        self.objective, self.resource, self.caps = objective, resource, dict(caps)
        self.hardware, self.area_model = hardware, area_model
        self.flags = engine_flags(flags)
        cap = int(pes.max())
        self.enc: Encoding = TemplateEncoding(space, layer, cap) if space.template is not None else FreeEncoding(
            space, layer, cap
        )
        # the default: the compiled engine, given a free mapping's candidates as arrays when it can
        self.direct = direct_evaluator() if evaluator is None and isinstance(self.enc, FreeEncoding) else None
        self.evaluator = default_evaluator() if evaluator is None else evaluator
        self.log = _Log(self.enc.width)
        self.calibration: tuple[int, _Stats] | None = None  # _calibration's, and the log size it is of
        self.scratch: native.Seen | None = None
        self.native_screen: bool | None = None  # _native_screen's answer, once known
        self.native_calibration: tuple[_Stats, native.Calibration] | None = None
        self.room: _Room | None = None  # the compiled pre-screen's candidates
        self.log_structures = np.zeros(0, dtype=np.int64)  # of the log's rows so far (a free mapping's)
        self.simd = int(self.flags["simd"])
        # what _log_points reads of the engine: MAESTRO's printed prices, else every count to price
        self.outputs = _PRINTED if hardware == Hardware.maestro() else OUTPUTS

    def floor(self, rows: np.ndarray, pes: np.ndarray) -> np.ndarray:
        """The least cycles each point's mapping allows (:mod:`.bounds`: its critical path and
        busy-PE bound)."""
        if isinstance(self.enc, FreeEncoding) and native.usable(self.enc):  # both from one C call
            both = native.estimate(self.enc, rows, np.asarray(pes, dtype=np.int64), physical=True, busy=True)
            bound: np.ndarray = np.maximum(both["physical"] / self.simd, self.layer.macs / (both["busy"] * self.simd))
            return bound
        if isinstance(self.enc, FreeEncoding):
            busy = self.enc.busy_pes(rows, pes)
            floor = self.layer.macs / (busy * self.simd)
            out: np.ndarray = np.maximum(critical_path(self.enc, rows, pes, self.simd), floor)
            return out
        progs = [self.enc.program(r) for r in rows]
        return np.array([mapping_bound(self.layer, df, int(p), simd=self.simd)
                         for df, p in zip(progs, pes, strict=True)])  # fmt: skip

    def ratio(self, idx: np.ndarray) -> np.ndarray:
        """Engine over estimated runtime of logged points (NaN where either is missing)."""
        log = self.log
        with np.errstate(invalid="ignore", divide="ignore"):
            r = log.costs[self.field][idx] / log.estimate[idx]
        return np.asarray(np.where((log.status[idx] == OK) & np.isfinite(r) & (r > 0), r, np.nan))

    def keys(self, rows: np.ndarray, pes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each point's key (an int64 row: equal for the same program on the same PEs) and a
        64-bit hash of it."""
        if isinstance(self.enc, FreeEncoding) and native.usable(self.enc):
            return native.keys(self.enc, rows, pes)
        if isinstance(self.enc, FreeEncoding):
            keys = np.frombuffer(b"".join(self.enc.keys(rows, pes)), dtype=np.int64)
        else:  # a template's row is its key
            keys = np.concatenate([rows, pes.reshape(-1, 1)], axis=1)
        keys = keys.reshape(rows.shape[0], -1)
        h = np.full(keys.shape[0], 0x9E3779B97F4A7C15, dtype=np.uint64)
        for c in keys.T.astype(np.uint64):  # any hash will do: equal keys are compared whole
            h = (h ^ c) * np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(31)
        return keys, h

    def evaluate(self, rows: np.ndarray, pes: np.ndarray, est: np.ndarray | None = None,
                 l2_est: np.ndarray | None = None,
                 keys: tuple[np.ndarray, np.ndarray] | None = None) -> None:  # fmt: skip
        """Evaluate new points (the caller removed duplicates) and log them; ``keys``: their
        :meth:`keys` when the caller has them."""
        n = rows.shape[0]
        if n == 0:
            return
        self.log.seen.fresh(*(self.keys(rows, pes) if keys is None else keys))
        if self.direct is not None and isinstance(self.enc, FreeEncoding):
            first, arrays = self.enc.directive_arrays(rows)
            raw, st = self.direct(self.layer, self.enc.axes.names, first, arrays, pes.reshape(1, -1).astype(np.int64),
                                  self.flags, self.outputs)  # fmt: skip
            # (views: the engine's output memory is not handed out again while they live; the log copies them)
            flat = {k: np.asarray(raw[k], dtype=np.float64).reshape(-1) for k in self.outputs}
            self._log_points(rows, pes, flat, np.asarray(st, dtype=np.uint8).reshape(-1), est, l2_est)
            return
        templates: list[Template | None] = list(self.enc.templates(rows))
        built = [i for i, t in enumerate(templates) if t is not None]
        programs = [t for t in templates if t is not None]
        status = np.full(n, int(Status.REFUSED), dtype=np.uint8)  # values MAESTRO's parser refuses
        flat = {k: np.full(n, np.nan) for k in OUTPUTS}
        if built:
            raw, st = self.evaluator([self.layer] * len(built), programs,
                                     pes[built].reshape(1, -1), None, self.flags, OUTPUTS)  # fmt: skip
            status[built] = np.asarray(st, dtype=np.uint8).reshape(-1)
            for k in OUTPUTS:
                flat[k][built] = np.asarray(raw[k], dtype=np.float64).reshape(-1)
        self._log_points(rows, pes, flat, status, est, l2_est)

    def _log_points(self, rows: np.ndarray, pes: np.ndarray, flat: dict[str, np.ndarray], status: np.ndarray,
                    est: np.ndarray | None, l2_est: np.ndarray | None) -> None:  # fmt: skip
        """The engine's results of new points priced, checked against the caps and bounds, logged."""
        n = rows.shape[0]
        costs = design_costs(flat, pes, self.enc.levels(rows), self.hardware, self.area_model)
        ok = status == OK
        for k in _COSTS:
            ok &= np.isfinite(costs[k])
        over = np.zeros(n)
        with np.errstate(invalid="ignore"):
            for k, cap in self.caps.items():
                v = costs[k] / cap - 1.0
                # NaN counts as over by inf (and ±inf as nan_to_num makes it); most batches have neither
                over = np.maximum(over, v if np.isfinite(v).all() else np.nan_to_num(v, nan=np.inf))
            if self.strict:
                broken = ok & (costs["runtime"] < self.floor(rows, pes))
                self.log.below_bound += int(np.count_nonzero(broken))
                ok &= ~broken
        valid = ok & (over <= 0)
        self.log.add(rows, pes, costs, status, valid, np.where(ok, np.maximum(over, 0), np.inf),
                     np.full(n, np.nan) if est is None else est,
                     np.full(n, np.nan) if l2_est is None else l2_est)  # fmt: skip

    # -- where points stand ----------------------------------------------------------------------
    def gaps(self) -> np.ndarray:
        """Each logged point's distance from the frontier: its objective over the least objective
        among valid points of no more resource (1 on the frontier; an over-cap point 10 + its
        overuse; an invalid one inf)."""
        log = self.log
        cost = log.costs[OBJECTIVES[self.objective]]
        res = log.costs[self.resource]
        gap = np.where(np.isfinite(log.overuse), 10.0 + log.overuse, np.inf)
        v = np.flatnonzero(log.valid)
        if v.size:
            order = v[np.argsort(res[v], kind="stable")]
            best = np.minimum.accumulate(cost[order])
            pos = np.searchsorted(res[order], res[v], side="right") - 1
            gap[v] = cost[v] / best[pos]
        return gap

    def reference_cost(self, resource: np.ndarray) -> np.ndarray:
        """The least valid objective at no more than ``resource`` (inf where none)."""
        ref = _calibration(self).reference
        if ref is None:
            return np.full(resource.shape, np.inf)
        res, best = ref
        pos = np.searchsorted(res, resource, side="right") - 1
        return np.where(pos >= 0, best[np.maximum(pos, 0)], np.inf)

    def frontier(self, method: str) -> MappingFrontier:
        """The frontier of the valid points logged."""
        log = self.log
        v = np.flatnonzero(log.valid)
        cost = log.costs[OBJECTIVES[self.objective]]
        return self.points(v[pareto_indices(log.costs[self.resource][v], cost[v])], method)

    def points(self, idx: np.ndarray, method: str) -> MappingFrontier:
        """Logged points ``idx`` (in that order) as a :class:`MappingFrontier`."""
        log = self.log
        rows = log.rows[idx]
        progs = tuple(self.enc.program(r) for r in rows)
        pes = log.pes[idx]
        c = {k: log.costs[k][idx] for k in _COSTS}
        codes, counts = np.unique(log.status, return_counts=True)  # (not a Status a point: the log may be long)
        tally = dict(sorted((Status(int(v)).name, int(k)) for v, k in zip(codes, counts, strict=True)))
        over = int(np.sum((log.status == OK) & ~log.valid & np.isfinite(log.overuse)))
        if over:
            tally["OK"] -= over
            tally["OVER_CAP"] = over
        if log.below_bound:
            tally["OK"] -= log.below_bound
            tally["MAPPING_BOUND"] = log.below_bound
        return MappingFrontier(
            self.layer, self.objective, self.resource, pes, c["runtime"], c["energy"], c["area"], c["power"],
            c["l1_bytes"], c["l2_bytes"], progs, self.layer.macs / (pes * self.simd), len(log), method, self.space,
            MappingProxyType(tally), rows,
        )  # fmt: skip


def _check(
    layer: object, space: object, pes: object, objective: str, resource: str, caps: Mapping[str, float] | None,
    method: str, evaluations: object,
) -> tuple[np.ndarray, dict[str, float]]:  # fmt: skip
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a confuciux Layer, got {type(layer).__name__}")
    if not isinstance(space, MappingSpace):
        raise TypeError(f"space must be a MappingSpace, got {type(space).__name__}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if resource not in RESOURCES:
        raise ValueError(f"resource must be one of {', '.join(RESOURCES)}, got {resource!r}")
    if method not in ("auto", "exhaustive", "genetic"):
        raise ValueError(f"method must be 'auto', 'exhaustive' or 'genetic', got {method!r}")
    if isinstance(evaluations, bool) or not isinstance(evaluations, int) or evaluations < 1:
        raise ValueError(f"evaluations must be an int >= 1, got {evaluations!r}")
    values = [pes] if isinstance(pes, (int, np.integer)) else list(pes)  # type: ignore[call-overload]
    if not values or any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1 for p in values):
        raise ValueError(f"pes must be an int >= 1 or a non-empty sequence of them, got {pes!r}")
    out = {}
    for k, v in (caps or {}).items():
        if k not in CAPS:
            raise ValueError(f"unknown cap {k!r}; caps are on {', '.join(CAPS)}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise ValueError(f"cap {k} must be a number > 0, got {v!r}")
        out[k] = float(v)
    return np.array(sorted({int(p) for p in values}), dtype=np.int64), out


def search(
    layer: Layer,
    space: MappingSpace | None = None,
    *,
    pes: int | Sequence[int],
    objective: str = "latency",
    resource: str = "pes",
    caps: Mapping[str, float] | None = None,
    evaluations: int = 2000,
    method: str = "auto",
    seed: int = 0,
    hardware: Hardware | None = None,
    area_model: str = "hardware",
    flags: Mapping[str, Any] | None = None,
    evaluator: Evaluator | None = None,
    genetic: Genetic | None = None,
    strict: bool = True,
) -> MappingFrontier:
    """The frontier of ``resource`` against ``objective`` for ``layer`` over the mappings of
    ``space`` (default :class:`MappingSpace`) on ``pes`` PEs (one count: GAMMA's fixed
    hardware; several: the PE counts a design may take).

    ``caps`` bound a design's ``area`` (µm²), ``power`` (mW), ``pes``, ``l1_bytes`` (per PE) and
    ``l2_bytes``.  ``evaluations`` is the engine-evaluation budget; ``method`` ``"exhaustive"``,
    ``"genetic"`` or ``"auto"`` (see the module docstring).  Costs are priced with ``hardware``
    (default :meth:`Hardware.default`; :meth:`Hardware.maestro` gives MAESTRO's printed energy,
    area and power) and ``area_model`` (``"digamma"`` for DiGamma's formula); ``flags`` are
    MAESTRO's (``noc_bw``, ``simd``, ``offchip_bw``, ...; ConfuciuX's by default); ``evaluator``
    defaults to the compiled engine when built, else the Python reference.  With ``strict``
    (default) a point faster than its mapping allows (its critical path, :mod:`.bounds`) is
    excluded as physically impossible, besides the engine's IMPOSSIBLE ones."""
    run, used = explore(layer, space, pes=pes, objective=objective, resource=resource, caps=caps,
                        evaluations=evaluations, method=method, seed=seed, hardware=hardware, area_model=area_model,
                        flags=flags, evaluator=evaluator, genetic=genetic, strict=strict)  # fmt: skip
    return run.frontier(used)


def explore(
    layer: Layer,
    space: MappingSpace | None = None,
    *,
    pes: int | Sequence[int],
    objective: str = "latency",
    resource: str = "pes",
    caps: Mapping[str, float] | None = None,
    evaluations: int = 2000,
    method: str = "auto",
    seed: int = 0,
    hardware: Hardware | None = None,
    area_model: str = "hardware",
    flags: Mapping[str, Any] | None = None,
    evaluator: Evaluator | None = None,
    genetic: Genetic | None = None,
    strict: bool = True,
) -> tuple[_Run, str]:
    """:func:`search`'s work: the run (every point evaluated, in its log) and the method used."""
    space = MappingSpace() if space is None else space
    P, cap = _check(layer, space, pes, objective, resource, caps, method, evaluations)
    run = _Run(
        layer, space, P, objective, resource, cap, Hardware.default() if hardware is None else hardware,
        area_model, flags or {}, evaluator, bool(strict),
    )  # fmt: skip
    if method != "genetic":
        n = run.enc.count(evaluations // len(P))
        if n is not None:
            _exhaustive(run)
            return run, "exhaustive"
        if method == "exhaustive":
            raise ValueError(
                f"the space has more than {evaluations // len(P)} mappings per PE count: raise evaluations= "
                "or use method='genetic'"
            )
    try:
        _genetic(run, evaluations, np.random.default_rng(seed), genetic or Genetic())
    finally:
        if run.scratch is not None:
            native.release(run.scratch)
            run.scratch = None
    return run, "genetic"


def best(layer: Layer, space: MappingSpace | None = None, *, pes: int, **options: Any) -> MappingFrontier:
    """GAMMA's setting: the best mapping of ``layer`` on ``pes`` PEs within ``caps`` (a
    :func:`search` with one PE count; the answer is the frontier's :attr:`~MappingFrontier.best`
    point)."""
    return search(layer, space, pes=pes, **options)


def _exhaustive(run: _Run, chunk: int = 2048) -> None:
    for rows in run.enc.enumerate(chunk):
        pes = np.repeat(run.P[None, :], rows.shape[0], axis=0)
        ok = pes >= run.enc.min_pes(rows)[:, None]
        i, j = np.nonzero(ok)
        run.evaluate(rows[i], pes[i, j])


def _genetic(run: _Run, total: int, rng: np.random.Generator, ga: Genetic) -> None:
    enc = run.enc
    batch = ga.population or min(100, max(10, total // 5))
    free = isinstance(enc, FreeEncoding)
    polish = free and total >= ga.polish_from and ga.polish > 0
    short = free and total < ga.polish_from and ga.short_polish > 0
    share = ga.polish if polish else ga.short_polish if short else 0.0
    budget = total - int(share * total)  # the rest is the polish's
    first = enc.random(rng, batch * ga.initial)
    pes = _random_pes(run, first, rng)
    if ga.seeds and isinstance(enc, FreeEncoding):
        chosen = run.P[np.unique(np.linspace(0, run.P.size - 1, min(run.P.size, 8)).round().astype(np.int64))]
        per = max(1, ga.seeds * batch // chosen.size)
        seeded = [seed_rows(enc, int(p), rng, per, l2_cap=run.caps.get("l2_bytes")) for p in chosen.tolist()]
        seeded_pes = np.repeat(chosen, [r.shape[0] for r in seeded])
        first = np.concatenate([*seeded, first])
        pes = np.concatenate([seeded_pes, pes])
        if "l2_bytes" in run.caps:  # the seeds again with their outer tiles grown to the L2 cap
            grown = fill_l2(enc, first[: seeded_pes.size], seeded_pes, run.caps["l2_bytes"], rng,
                            run.caps.get("l1_bytes"))  # fmt: skip
            first = np.concatenate([grown, first])
            pes = np.concatenate([seeded_pes, pes])
        if _capped(run):  # the first seeds again, on the most PEs the caps allow them
            first = np.concatenate([first[: seeded_pes.size], first])
            pes = np.concatenate([_to_cap(run, first[: seeded_pes.size], seeded_pes), pes])
        if run.objective == "energy":  # the quiet family first, least estimated energy first
            quiet, quiet_pes = quiet_rows(enc, rng, per * chosen.size), np.repeat(chosen, per)
            if "l2_bytes" in run.caps and run.layer.R * run.layer.S > 1:  # and on a few PEs, L2 filled (a window)
                small, small_pes = quiet_clustered(enc, quiet, quiet_pes, run.caps["l2_bytes"])
                quiet, quiet_pes = np.concatenate([quiet, small]), np.concatenate([quiet_pes, small_pes])
            rank = np.argsort(estimated_energy(enc, quiet, quiet_pes, run.hardware), kind="stable")
            first = np.concatenate([quiet[rank], first])
            pes = np.concatenate([quiet_pes[rank], pes])
    if isinstance(enc, FreeEncoding) and run.P.size > 1 and budget > 1:
        _evaluate_new(run, *_lightest(run, rng))  # a frontier's lightest corner: fewest PEs, least buffer
    _screen_and_evaluate(run, first, pes, min(batch, budget - len(run.log)), rng, ga, None, ga.presearch)
    stall = 0
    while len(run.log) < budget and stall < 20:
        gaps = run.gaps()
        order = np.argsort(gaps, kind="stable")
        order = order[np.isfinite(gaps[order])]
        if order.size == 0:  # nothing valid yet: start again from random
            rows = enc.random(rng, batch * ga.pool)
            pidx = _random_pes(run, rows, rng)
            parents = None
        else:
            k = max(2, int(ga.parents * min(batch, order.size)))
            best = (_niched(run, None, order, k, ga.niche, _log_structures(run)[order]) if isinstance(enc, FreeEncoding)
                    else _niched(run, run.log.rows[order], order, k, ga.niche))  # fmt: skip
            n = batch * ga.pool
            a = best[rng.integers(best.size, size=n)]
            b = best[rng.integers(best.size, size=n)]
            rows = _breed(enc, run.log.rows[a], run.log.rows[b], rng, ga.operators)
            pidx = _step_pes(run, run.log.pes[a], rows, rng, ga.pe_step)
            if _capped(run):  # a share of the children moved to the most PEs the caps allow
                up = np.flatnonzero(rng.random(n) < ga.pe_step / 2)
                pidx[up] = _to_cap(run, rows[up], pidx[up])
            parents = (np.maximum(gaps[a], gaps[b]), run.ratio(a))
        before = len(run.log)
        _screen_and_evaluate(run, rows, pidx, min(batch, budget - before), rng, ga, parents, ga.inner)
        stall = stall + 1 if len(run.log) == before else 0
    if short:
        _transposed_polish(run, total, rng)
    if polish or short:
        _polish(run, total)


def _transposed_polish(run: _Run, budget: int, rng: np.random.Generator, points: int = 3) -> None:
    """A small search's short polish, until ``budget`` evaluations (what is left goes to
    :func:`_polish`): on one PE count, half of it to the transposed splits
    (:func:`.polish.transposed`) of two-level seeds of the best structures (:func:`.seeds.seed_rows`,
    whose L2 fit may shrink an inner cluster: the transposed split keeps it, the axis parallel
    inside cut in whole rounds); then the transposed splits of the best ``points`` valid points.
    Each batch least estimated cost first."""
    assert isinstance(run.enc, FreeEncoding)
    l2_cap = run.caps.get("l2_bytes")
    left = budget - len(run.log)
    if run.P.size == 1 and left > 1:
        p = int(run.P[0])
        seeds = seed_rows(run.enc, p, rng, 32)
        _, sp, cl, _, _ = run.enc.parts(seeds)
        two = np.flatnonzero(seeds[:, 0] == 2)  # one seed of each two-level structure
        # the first of each (parallel axes, cluster sizes) in their lexicographic order: what
        # np.unique(axis=0, return_index=True) gives, without its cost on a matrix
        # (none without a second level)
        kinds = np.stack([sp[two, 0], sp[two, 1], cl[two, 0], cl[two, 1]], axis=1) if two.size else two[:, None]
        by = np.lexsort(kinds.T[::-1])
        new = np.ones(by.size, dtype=bool)
        new[1:] = (kinds[by][1:] != kinds[by][:-1]).any(axis=1)
        seeds = seeds[two[by[new]]]
        if seeds.shape[0]:
            rows = transposed(run.enc, seeds, p)
            _evaluate_least_estimated(run, rows, np.full(rows.shape[0], p, dtype=np.int64), left // 2)
    gaps = run.gaps()
    order = np.argsort(gaps, kind="stable")
    for at in order[run.log.valid[order]][:points].tolist():
        if budget <= len(run.log):
            return
        rows = transposed(run.enc, run.log.rows[at], int(run.log.pes[at]), l2_cap)
        if rows.shape[0]:
            pes = np.full(rows.shape[0], run.log.pes[at], dtype=np.int64)
            _evaluate_least_estimated(run, rows, pes, budget - len(run.log))


def _evaluate_least_estimated(run: _Run, rows: np.ndarray, pes: np.ndarray, n: int) -> None:
    """Evaluate the ``n`` candidates not seen yet of least estimated cost (none whose estimated
    buffers break a cap), in their order."""
    new = run.log.seen.copy().fresh(*run.keys(rows, pes))
    rows, pes = rows[new], pes[new]
    est = _estimated_cost(run, rows, pes)
    rank = np.sort(np.argsort(est, kind="stable")[: min(n, int(np.isfinite(est).sum()))])
    if rank.size:
        run.evaluate(rows[rank], pes[rank])


def _polish(run: _Run, budget: int) -> None:
    """A deterministic local search (:mod:`.polish`) until ``budget`` evaluations: the best
    valid point not polished yet (least gap; over several PE counts, of the frontier's points the
    one of most resource first, the fastest) has every single-move neighbour evaluated, then the
    next; a better point found is polished in its turn (it stops early after 50 points in a row
    with nothing new around them).  Where the neighbours exceed what is left of the budget, those
    of least estimated cost go first."""
    assert isinstance(run.enc, FreeEncoding)
    done = np.zeros(0, dtype=np.int64)
    idle = 0  # points in a row whose neighbours were all evaluated already
    while len(run.log) < budget and idle < 50:
        gaps = run.gaps()
        if run.P.size > 1:  # the frontier's points tie at gap 1: the most resource (the fastest) first
            order = np.lexsort((-run.log.costs[run.resource], gaps))
        else:
            order = np.argsort(gaps, kind="stable")
        order = order[run.log.valid[order] & ~np.isin(order, done)]
        if not order.size:
            return
        at = int(order[0])
        done = np.append(done, at)
        rows, pes = neighbours(run.enc, run.log.rows[at], int(run.log.pes[at]), run.P, run.caps.get("l2_bytes"))
        new = run.log.seen.copy().fresh(*run.keys(rows, pes))
        rows, pes = rows[new], pes[new]
        idle = 0 if new.size else idle + 1
        left = budget - len(run.log)
        if rows.shape[0] > left:
            rank = np.argsort(_estimated_cost(run, rows, pes), kind="stable")[:left]
            rows, pes = rows[np.sort(rank)], pes[np.sort(rank)]
        run.evaluate(rows, pes)


def _estimated_cost(run: _Run, rows: np.ndarray, pes: np.ndarray) -> np.ndarray:
    """The objective's estimate per candidate of a free mapping (inf where the estimated
    buffers break a cap)."""
    assert isinstance(run.enc, FreeEncoding)
    if run.objective == "energy":
        l1, l2 = estimated_buffers(run.enc, rows, pes)
        est = estimated_energy(run.enc, rows, pes, run.hardware)
    else:
        est, l1, l2 = estimate(run.enc, rows, pes)
    return np.asarray(np.where(_fits_estimate(run, l1, l2), est, np.inf))


def _capped(run: _Run) -> bool:
    """Whether a cap limits the PE count of a free mapping's search (``pes``, ``area`` or
    ``power`` over several PE counts): then the best designs often sit at the cap's edge."""
    return isinstance(run.enc, FreeEncoding) and run.P.size > 1 and bool({"pes", "area", "power"} & set(run.caps))


def _to_cap(run: _Run, rows: np.ndarray, pes: np.ndarray) -> np.ndarray:
    """For each row, the most PEs of the search (at least ``pes``) on which its estimated
    buffers, area and power fit the caps (``pes`` where none does): a bisection over the
    search's PE counts (every cost grows with P)."""
    P = run.P
    lo = np.maximum(np.searchsorted(P, pes), np.searchsorted(P, run.enc.min_pes(rows))).clip(max=P.size - 1)
    hi = np.full(lo.shape, P.size - 1)
    log = run.log
    # the L2 estimate over the engine's: half the rows at the median ratio so far, half at the least
    ok = np.isfinite(log.l2_estimate) & (log.status == OK) & (log.l2_estimate > 0)
    least = float(np.min(log.costs["l2_bytes"][ok] / log.l2_estimate[ok])) if ok.any() else 0.25
    median = _ratio(log.costs["l2_bytes"], log.l2_estimate, log.status, 0.75)
    scale = np.where(np.arange(rows.shape[0]) % 2 == 0, median, min(least, median))
    while (hi > lo).any():
        mid = (lo + hi + 1) // 2
        fit = _fits_caps(run, rows, P[mid], scale)
        lo, hi = np.where(fit, mid, lo), np.where(fit, hi, mid - 1)
    return np.where(_fits_caps(run, rows, P[lo], scale), P[lo], pes)


def _fits_caps(run: _Run, rows: np.ndarray, pes: np.ndarray, l2_scale: np.ndarray) -> np.ndarray:
    """Whether each row on ``pes`` fits every cap by the estimate (L2 scaled by ``l2_scale``)."""
    assert isinstance(run.enc, FreeEncoding)
    l1, l2 = estimated_buffers(run.enc, rows, pes)
    values = {"pes": pes.astype(np.float64), "l1_bytes": l1, "l2_bytes": l2 * l2_scale}
    if {"area", "power"} & set(run.caps):
        values.update(_priced(run, values["pes"], l1, values["l2_bytes"]))
    ok = np.ones(rows.shape[0], dtype=bool)
    for k, cap in run.caps.items():
        ok &= values[k] <= cap
    return ok


def _lightest(run: _Run, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The least-resource corner of the space: a mapping with the fewest levels, every tile 1
    (R and S whole) and clusters of 1, on the fewest PEs it runs on.  Random choices rarely
    reach it, and a frontier's lightest budget needs it."""
    assert isinstance(run.enc, FreeEncoding)
    g = run.enc.random(rng, 1)
    nlev, _, cl, ti, _ = run.enc.parts(g)
    nlev[:] = run.enc.space.levels[0]
    ti[:] = 1
    cl[:] = 1
    g = run.enc.repair(g)
    low = np.searchsorted(run.P, run.enc.min_pes(g)).clip(max=run.P.size - 1)
    return g, run.P[low]


def _evaluate_new(run: _Run, rows: np.ndarray, pes: np.ndarray) -> None:
    """Evaluate the points not evaluated yet."""
    new = run.log.seen.copy().fresh(*run.keys(rows, pes))
    if new.size:
        run.evaluate(rows[new], pes[new])


def _niched(run: _Run, rows: np.ndarray | None, order: np.ndarray, k: int, share: float,
            sig: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """The first ``k`` of ``order`` (whose rows are ``rows``, in that order; ``sig``: their
    parallel structures when known, then ``rows`` may be None), taking at most a ``share`` of
    them from any one parallel structure while others remain (so that one structure cannot take
    over a generation early)."""
    if not isinstance(run.enc, FreeEncoding) or share >= 1.0 or order.size <= k:
        return order[:k]
    if sig is None:
        assert rows is not None
        sig = run.enc.structure(rows)
    by, first_of = _groups(sig)  # positions grouped by structure, in order
    start = np.flatnonzero(first_of)
    rank = np.empty(order.size, dtype=np.int64)  # how many of the same structure come before
    rank[by] = np.arange(order.size) - start[np.cumsum(first_of) - 1]
    cap = max(1, int(share * k))
    first = order[rank < cap]
    return np.concatenate([first, order[rank >= cap]])[:k]


def _breed(enc: Encoding, a: np.ndarray, b: np.ndarray, rng: np.random.Generator, ops: Operators) -> np.ndarray:
    """Children of the pairs of rows ``a[i]``, ``b[i]``: crossover, then mutation."""
    if isinstance(enc, TemplateEncoding):
        return enc.repair(enc.mutate(enc.crossover(a, b, rng, ops), rng, ops))
    return breed(enc, a, b, rng, ops)


def _random_pes(run: _Run, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random PE count of the search for each row, at least its inner clusters' product."""
    low = np.searchsorted(run.P, run.enc.min_pes(rows))
    low = np.minimum(low, run.P.size - 1)
    return np.asarray(run.P[low + (rng.random(rows.shape[0]) * (run.P.size - low)).astype(np.int64)])


def _step_pes(run: _Run, parent: np.ndarray, rows: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """The parent's PE count, or with probability ``rate`` one to three places up or down the
    search's PE counts (a tenth of the moves anywhere)."""
    P = run.P
    n = parent.size
    if P.size == 1:  # GAMMA's setting: one PE count (the same draws made: the seed's stream stays one)
        rng.random(n), rng.integers(1, 4, size=n), rng.random(n), rng.random(n), rng.integers(1, size=n)
        return np.full(n, P[0])
    move = rng.random(n) < rate
    step = rng.integers(1, 4, size=n) * np.where(rng.random(n) < 0.5, 1, -1)
    far = rng.random(n) < 0.1
    anywhere = rng.integers(P.size, size=n)
    i = np.searchsorted(P, parent)
    j = np.where(move, np.where(far, anywhere, i + step), i)
    # np.clip's scalar path is slow for small arrays: the same as max then min
    j = np.minimum(np.maximum(j, np.minimum(np.searchsorted(P, run.enc.min_pes(rows)), P.size - 1)), P.size - 1)
    return np.asarray(P[j])


def _screen_and_evaluate(
    run: _Run, rows: np.ndarray, pes: np.ndarray, n: int, rng: np.random.Generator, ga: Genetic,
    parents: tuple[np.ndarray, np.ndarray] | None, inner: int,
) -> None:  # fmt: skip
    """Evaluate up to ``n`` of the candidates (``parents``: their parents' gaps and ratios of
    engine to estimated runtime, or None): new ones only, those the estimate says fit the
    caps, best predicted first and a share ``ga.explore`` at random.  Where the estimate ranks
    candidates (latency), ``inner`` generations bred from the best predicted come first."""
    if n <= 0:
        return
    seen: _Seen | native.Seen
    if isinstance(run.log.seen, native.Seen):  # a scratch set, its memory reused
        if run.scratch is None:
            run.scratch = native.scratch(run.log.seen.width)
        seen = run.log.seen.copy(into=run.scratch)
    else:
        seen = run.log.seen.copy()
    room = None
    if _native_screen(run, seen):  # the candidates written into the run's room
        room = run.room = _Room(run.enc.width) if run.room is None else run.room
        room.n = 0
    cand = _Candidates.of(run, rows, pes, parents, seen, room)
    if cand is None:
        return
    compiled = isinstance(run.enc, FreeEncoding) and native.AVAILABLE
    if isinstance(run.enc, FreeEncoding):
        for _ in range(inner):
            top = (native.top(cand.score, None, max(2, 2 * n), 1) if compiled else
                   np.argsort(cand.score, kind="stable")[: max(2, 2 * n)])  # fmt: skip
            a = top[rng.integers(top.size, size=n * ga.pool)]
            b = top[rng.integers(top.size, size=n * ga.pool)]
            kids = breed_at(run.enc, cand.rows, a, b, rng, ga.operators)
            kid_pes = _step_pes(run, cand.pes[a], kids, rng, ga.pe_step)
            more = _Candidates.of(run, kids, kid_pes, (cand.score[a], cand.ratio[a]), seen, room)
            if more is not None:
                cand = more if room is not None else cand.extend(more)
    size = cand.score.size
    n_best = min(n - int(round(ga.explore * n)), size)
    if compiled and cand.sig is not None:  # _niched's choice, in C
        top = native.top(cand.score, cand.sig, n_best, max(1, int(ga.niche * n_best)) if ga.niche < 1.0 else n_best)
    else:
        order = np.argsort(cand.score, kind="stable")
        top = _niched(run, cand.rows[order] if cand.sig is None else None, order, n_best, ga.niche,
                      None if cand.sig is None else cand.sig[order])  # fmt: skip
    left = np.ones(size, dtype=bool)  # top holds distinct candidates
    left[top] = False
    rest = np.flatnonzero(left)
    if rest.size and n > n_best:
        top = np.concatenate([top, rng.choice(rest, size=min(n - n_best, rest.size), replace=False)])
    pick = np.sort(top).astype(np.int64)
    keys = None
    if room is not None:  # the keys the screen made, handed over
        assert isinstance(seen, native.Seen)
        at = room.slot[pick]
        keys = (seen.store[at], seen.hash[at])
    run.evaluate(cand.rows[pick], cand.pes[pick], cand.est[pick], cand.l2[pick], keys)


class _Room:
    """Room for a pre-screen's candidates (kept on the run, its memory reused screen after
    screen): the compiled pre-screen writes each batch's new ones after those there, so that a
    screen's candidates are never concatenated."""

    def __init__(self, width: int) -> None:
        self.width, self.n, self.cap = width, 0, 0
        self.make(0)

    def make(self, need: int) -> None:
        """Room for ``need`` candidates, keeping the first ``n``."""
        if need <= self.cap:
            return
        cap, n = max(need, 2 * self.cap, 256), self.n
        rows, ints, floats = np.empty((cap, self.width), np.int64), np.empty((5, cap), np.int64), np.empty((5, cap))
        self.rows: np.ndarray
        self.ints: np.ndarray
        self.floats: np.ndarray
        if n:
            rows[:n], ints[:, :n], floats[:, :n] = self.rows[:n], self.ints[:, :n], self.floats[:, :n]
        self.rows, self.ints, self.floats, self.cap = rows, ints, floats, cap
        self.pes, self.sig, self.fresh, self.keep, self.slot = ints  # slot: where its key is in the screen's set
        self.est, self.l1, self.l2, self.ratio, self.score = floats

    def screen_out(self, m: int) -> tuple[np.ndarray, ...]:
        """:func:`.native.screen`'s arrays to write from candidate ``m`` on."""
        return self.fresh, self.rows[m:], self.pes[m:], self.sig[m:], self.est[m:], self.l1[m:], self.l2[m:]

    def score_out(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`.native.score`'s arrays to write from candidate ``m`` on."""
        return self.keep, self.ratio[m:], self.score[m:]

    def view(self) -> _Candidates:
        """The candidates so far (views: later batches are written after them)."""
        n = self.n
        return _Candidates(self.rows[:n], self.pes[:n], self.est[:n], self.l2[:n], self.score[:n], self.ratio[:n],
                           self.sig[:n])  # fmt: skip


@dataclass
class _Candidates:
    """Candidates not evaluated yet, with their estimates and predicted gaps."""

    rows: np.ndarray
    pes: np.ndarray
    est: np.ndarray
    l2: np.ndarray
    score: np.ndarray
    ratio: np.ndarray
    sig: np.ndarray | None  # the parallel structures (a free mapping's)

    @classmethod
    def of(cls, run: _Run, rows: np.ndarray, pes: np.ndarray, parents: tuple[np.ndarray, np.ndarray] | None,
           seen: _Seen | native.Seen, room: _Room | None = None) -> _Candidates | None:  # fmt: skip
        """The new ones among ``rows`` on ``pes`` (``seen`` grows by them), those the estimate
        does not rule out (all when it rules out every one), scored.  With a ``room`` (the
        compiled pre-screen, :func:`_native_screen`) they join those in it, and every one there
        is returned."""
        if room is not None:
            return cls._of_native(run, rows, pes, parents, seen, room)  # type: ignore[arg-type]
        idx = seen.fresh(*run.keys(rows, pes))
        if not idx.size:
            return None
        rows, pes = rows[idx], pes[idx]
        sig = run.enc.structure(rows) if isinstance(run.enc, FreeEncoding) else None
        if isinstance(run.enc, FreeEncoding):
            if run.objective == "energy":  # the runtime estimate is not needed
                l1, l2 = estimated_buffers(run.enc, rows, pes)
                est = estimated_energy(run.enc, rows, pes, run.hardware)
            else:
                est, l1, l2 = estimate(run.enc, rows, pes)
        else:  # no estimate for a template: every candidate alike
            est = l1 = l2 = np.full(rows.shape[0], np.nan)
        gap, inherited = (None, None) if parents is None else (parents[0][idx], parents[1][idx])
        keep, ratio, score = _score_reference(run, pes, sig, est, l1, l2, gap, inherited)
        if keep.size < idx.size:
            rows, pes, est, l2 = rows[keep], pes[keep], est[keep], l2[keep]
            sig = None if sig is None else sig[keep]
        return cls(rows, pes, est, l2, score, ratio, sig)

    @classmethod
    def _of_native(cls, run: _Run, rows: np.ndarray, pes: np.ndarray, parents: tuple[np.ndarray, np.ndarray] | None,
                   seen: native.Seen, room: _Room) -> _Candidates | None:  # fmt: skip
        """:meth:`of` in two C calls (:func:`.native.screen`, :func:`.native.score`), the new
        candidates written into ``room`` after those there: every candidate in it so far, or None
        when none of ``rows`` is new."""
        latency = run.objective != "energy"
        m, n = room.n, rows.shape[0]
        room.make(m + n)
        cal = _native_calibration(run)
        # (only the new ones the score keeps come back: it keeps every one of them)
        idx, rows, pes, sig, est, l1, l2 = native.screen(run.enc, seen, rows, pes, runtime=latency,
                                                         out=room.screen_out(m), cal=cal,
                                                         slot=room.slot[m:])  # fmt: skip
        if not idx.size:
            return None
        if est is None:
            assert isinstance(run.enc, FreeEncoding)
            est = room.est[m : m + idx.size]
            est[:] = estimated_energy(run.enc, rows, pes, run.hardware)
        gap, inherited = (None, None) if parents is None else parents
        keep, _, _ = native.score(cal, pes, sig, est, l1, l2, idx, gap, inherited, out=room.score_out(m))
        assert keep.size == idx.size
        room.n = m + idx.size
        return room.view()

    def extend(self, other: _Candidates) -> _Candidates:
        rows, pes, est, l2, score, ratio = (np.concatenate([getattr(self, f), getattr(other, f)]) for f in
                                            ("rows", "pes", "est", "l2", "score", "ratio"))  # fmt: skip
        sig = None if self.sig is None or other.sig is None else np.concatenate([self.sig, other.sig])
        return _Candidates(rows, pes, est, l2, score, ratio, sig)


def _native_run(run: _Run) -> bool:
    """Whether this run's pre-screen scores compiled: a free mapping the C code serves, no area
    or power in the resource or caps."""
    got = run.native_screen
    if got is None:
        names = {"pes", "l1_bytes", "l2_bytes"}
        got = run.native_screen = (isinstance(run.enc, FreeEncoding) and native.usable(run.enc)
                                   and run.resource in names and set(run.caps) <= names)  # fmt: skip
    return got


def _native_screen(run: _Run, seen: _Seen | native.Seen) -> bool:
    """Whether the pre-screen of this run runs compiled (:meth:`_Candidates._of_native`): as
    :func:`_native_run`, with a compiled set of keys."""
    return _native_run(run) and isinstance(seen, native.Seen)


def _native_calibration(run: _Run) -> native.Calibration:
    """:func:`_calibration`'s statistics as the compiled scoring reads them (once per log size)."""
    stats = _calibration(run)
    got = run.native_calibration
    if got is None or got[0] is not stats:
        got = run.native_calibration = (stats, native.Calibration(
            stats.base, stats.ratios, stats.counts, stats.reference, stats.l2_low, stats.l2_median, run.resource,
            run.caps,
        ))  # fmt: skip
    return got[1]


def _score_reference(run: _Run, pes: np.ndarray, sig: np.ndarray | None, est: np.ndarray, l1: np.ndarray,
                     l2: np.ndarray, gap: np.ndarray | None,
                     inherited: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The pre-screen's scoring of new candidates (``gap``, ``inherited``: their parents' gaps
    and ratios, or None): the indices of those kept (the estimate does not rule them out; all
    when it rules out every one), their ratios of engine to estimated cost (their structure's,
    else a parent's, else the base) and predicted gaps (:func:`_predicted`).  The NumPy
    reference of :func:`.native.score`."""
    n = pes.shape[0]
    known, ratio = _structure_ratio(run, pes, sig)
    if inherited is not None:  # a structure not evaluated yet: the parent's ratio, if it has one
        ratio = np.where(~known & np.isfinite(inherited), inherited, ratio)
    keep = _fits_estimate(run, l1, l2)
    idx = np.flatnonzero(keep) if keep.any() and not keep.all() else np.arange(n)
    if idx.size < n:
        pes, est, l1, l2, ratio = pes[idx], est[idx], l1[idx], l2[idx], ratio[idx]
        gap = None if gap is None else gap[idx]
        sig = None if sig is None else sig[idx]
    return idx, ratio, _predicted(run, pes, pes, est * ratio, l1, l2, gap, sig)


def _fits_estimate(run: _Run, l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """Candidates the estimate does not rule out: L1 is estimated exactly in the cases checked;
    L2 is over-estimated, by up to the largest ratio seen so far (at first 4)."""
    keep = np.ones(l1.size, dtype=bool)
    if "l1_bytes" in run.caps:
        keep &= ~(l1 > run.caps["l1_bytes"])
    if "l2_bytes" in run.caps:
        keep &= ~(l2 * min(_calibration(run).l2_low, 1.0) > run.caps["l2_bytes"])
    return keep


def _predicted(run: _Run, rows: np.ndarray, pes: np.ndarray, est: np.ndarray, l1: np.ndarray, l2: np.ndarray,
               parent_gap: np.ndarray | None, sig: np.ndarray | None) -> np.ndarray:  # fmt: skip
    """A predicted gap per candidate (lower is better), as :meth:`_Run.gaps` scores points.  For
    latency: the estimated runtime, calibrated by the median ratio of engine to estimate so far,
    over the frontier's cost at the candidate's estimated resource; a candidate predicted over a
    cap scores 10 + its predicted overuse.  Without an estimate (a template): the worse parent's
    gap."""
    if not np.isfinite(est).any():
        return np.zeros(rows.shape[0]) if parent_gap is None else parent_gap
    values = {"pes": pes.astype(np.float64), "l1_bytes": l1, "l2_bytes": l2 * _calibration(run).l2_median}
    need = {run.resource, *run.caps} - set(values)
    if need:
        values.update(_priced(run, values["pes"], l1, values["l2_bytes"]))
    ref = run.reference_cost(values[run.resource])
    pred = est / np.where(np.isfinite(ref), ref, est) / _valid_rate(run, rows, sig)
    over = np.zeros(rows.shape[0])
    for k, cap in run.caps.items():
        over = np.maximum(over, values[k] / cap - 1.0)
    return np.asarray(np.where(over > 0, 10.0 + over, pred))


def _structure_ratio(run: _Run, rows: np.ndarray, sig: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate (``sig``: their parallel structures, None for a template), whether its
    parallel structure has valid points so far, and the median ratio of engine to estimated
    runtime among them, else among all points (1 before any): what the estimate leaves out (NoC
    steps, a parallel reduction's traffic) differs by structure."""
    stats = _calibration(run)
    base, table = stats.base, stats.ratios
    none = np.zeros(rows.shape[0], dtype=bool)
    if table is None:
        return none, np.full(rows.shape[0], base)
    known, median = table
    assert sig is not None
    at = np.minimum(np.searchsorted(known, sig), known.size - 1)
    hit = known[at] == sig
    return hit, np.where(hit, median[at], base)


@dataclass(frozen=True)
class _Stats:
    """What the pre-screen reads of the log (:func:`_calibration`): the base ratio of engine to
    estimated cost; per structure with valid points the median ratio (structures, medians); per
    structure evaluated the points and the physically valid ones (structures, points, valid); the
    least and the median ratio of engine to estimated L2 (:func:`_fits_estimate`,
    :func:`_predicted`); the valid points' resource ascending and the least objective up to each
    (:meth:`_Run.reference_cost`; None before any)."""

    base: float
    ratios: tuple[np.ndarray, np.ndarray] | None
    counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    l2_low: float
    l2_median: float
    reference: tuple[np.ndarray, np.ndarray] | None


def _groups(values: np.ndarray, ordered: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The positions of ``values`` (int64) sorted by value, equal values in their order, and
    whether each sorted one is the first of its value (what np.unique finds, with less of its
    overhead on small arrays); ``ordered``: ``values`` are sorted already."""
    by = np.arange(values.size) if ordered else np.argsort(values, kind="stable")
    v = values[by]
    first = np.empty(v.size, dtype=bool)
    first[:1] = True
    np.not_equal(v[1:], v[:-1], out=first[1:])
    return by, first


def _calibration(run: _Run) -> _Stats:
    """What the pre-screen reads from the log (:class:`_Stats`), computed once per log size (the
    log only grows; the pre-screen asks many times between evaluations)."""
    log = run.log
    if run.calibration is not None and run.calibration[0] == len(log):
        return run.calibration[1]
    if isinstance(run.enc, FreeEncoding) and native.AVAILABLE:  # one C call
        scored = _native_run(run)
        cal, got = native.calibrate(log.costs[run.field], log.estimate, log.status, OK, log.costs["l2_bytes"],
                                    log.l2_estimate, _log_structures(run), log.physical, log.valid,
                                    log.costs[run.resource], run.resource if scored else None, run.caps)  # fmt: skip
        out = _Stats(*got)
        run.calibration = (len(log), out)
        if scored:
            run.native_calibration = (out, cal)
        return out
    return _calibration_reference(run)


def _log_structures(run: _Run) -> np.ndarray:
    """The parallel structure of each logged row of a free mapping (kept on the run: the log only
    grows, so only its new rows' are computed)."""
    assert isinstance(run.enc, FreeEncoding)
    done, n = run.log_structures.size, len(run.log)
    if n > done:
        run.log_structures = np.concatenate([run.log_structures, run.enc.structure(run.log.rows[done:])])
    return run.log_structures


def _calibration_reference(run: _Run) -> _Stats:
    """:func:`_calibration` in NumPy (the reference of :func:`.native.calibrate`)."""
    log = run.log
    base = _ratio(log.costs[run.field], log.estimate, log.status, 1.0)
    ratios = counts = None
    if isinstance(run.enc, FreeEncoding) and len(log):
        ok = np.isfinite(log.estimate) & (log.status == OK) & (log.estimate > 0)
        sig_all = _log_structures(run)
        if ok.any():
            sig = sig_all[ok]
            r = log.costs[run.field][ok] / log.estimate[ok]
            order = np.lexsort((r, sig))
            sig, r = sig[order], r[order]
            first = np.flatnonzero(_groups(sig, ordered=True)[1])
            count = np.diff(np.append(first, sig.size))
            ratios = (sig[first], r[first + (count - 1) // 2])
        by, first_of = _groups(sig_all)
        known = sig_all[by[first_of]]
        inverse = np.empty(sig_all.size, dtype=np.int64)  # each point's structure, an index into known
        inverse[by] = np.cumsum(first_of) - 1
        n = np.bincount(inverse, minlength=known.size)
        valid = np.bincount(inverse, weights=log.physical.astype(np.float64), minlength=known.size)
        counts = (known, n, valid)
    ok = np.isfinite(log.l2_estimate) & (log.status == OK)
    low = float(np.min(log.costs["l2_bytes"][ok] / log.l2_estimate[ok])) if ok.any() else 0.25
    reference = None
    v = np.flatnonzero(log.valid)
    if v.size:
        res = log.costs[run.resource]
        order = v[np.argsort(res[v], kind="stable")]
        reference = (res[order], np.minimum.accumulate(log.costs[run.field][order]))
    out = _Stats(base, ratios, counts, low, _ratio(log.costs["l2_bytes"], log.l2_estimate, log.status, 0.75),
                 reference)  # fmt: skip
    run.calibration = (len(log), out)
    return out


def _valid_rate(run: _Run, rows: np.ndarray, sig: np.ndarray | None) -> np.ndarray:
    """Per candidate (``sig``: their parallel structures), the share of physically valid results
    among the points evaluated so far with its parallel structure (levels and parallel axes), as
    (valid + 1) / (evaluated + 1): the estimate cannot tell which structures MAESTRO's quirks
    make impossible, the log can."""
    table = _calibration(run).counts
    if table is None:
        return np.ones(rows.shape[0])
    known, n, ok = table
    assert sig is not None
    at = np.minimum(np.searchsorted(known, sig), known.size - 1)
    hit = known[at] == sig
    return np.where(hit, (ok[at] + 1.0) / (n[at] + 1.0), 1.0)


def _ratio(actual: np.ndarray, estimated: np.ndarray, status: np.ndarray, default: float) -> float:
    """The median ratio of engine values to their estimates over the valid points so far."""
    ok = np.isfinite(estimated) & (status == OK) & (estimated > 0)
    return float(np.median(actual[ok] / estimated[ok])) if ok.sum() >= 5 else default


def _priced(run: _Run, pes: np.ndarray, l1: np.ndarray, l2: np.ndarray) -> dict[str, np.ndarray]:
    """Area and power of candidates from their estimated buffers (for MAESTRO's hardware, the
    default's formula: MAESTRO's area is dominated by its NoC and barely moves)."""
    n = pes.size
    raw = {k: np.zeros(n) for k in OUTPUTS}
    raw.update(runtime=np.ones(n), l1_bytes=l1, l2_bytes=l2)
    hw = run.hardware if run.hardware != Hardware.maestro() else Hardware.default()
    costs = design_costs(raw, pes, np.ones(n), hw, run.area_model)
    return {"area": costs["area"], "power": costs["power"]}
