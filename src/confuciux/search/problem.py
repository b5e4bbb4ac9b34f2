"""The optimisation problem every search method works on (docs/problem.md).

:class:`Problem` evaluates every layer on every option of the platform's action space (by default
the integer box P 1..128 × k 1..12, 1,536 options, the coarse RL levels first) in one batch of
kernel calls and keeps the table; a design is then one option index per layer, and whole
populations are scored by indexing the table.  Usage and feasibility come from the platform's
:class:`~confuciux.budgets.Budgets` and objective values from :data:`OBJECTIVES`, so every method
decides them the same way.  Every method counts one evaluation per design scored, so methods
compare at equal budgets.

With several dataflows (``Platform(dataflow=("dla", "eye"))``) the options are one block per
dataflow (:meth:`Platform.options`): option ``d·block + g`` is point g of the box with dataflow
d, so every method searches the union without knowing it; :attr:`Problem.coarse` lists the
coarse options of every dataflow for the RL agent.  A layer whose program in a block is the one
it runs in an earlier block (a depthwise layer runs dpt under dla, shi and eye) has that
block's options marked not valid (they would duplicate the earlier costs), and so has a layer
whose program MAESTRO refuses for it; a layer whose program does not use ``KTileSz`` keeps only
the options of the lowest buffer setting (the others would repeat them).

A searched mapping (``Platform(dataflow=MappingSpace(...))``, docs/mapping.md) is one more kind
of dataflow the table knows: each layer's options are the points its mapping search found
(:mod:`confuciux.mapping.options`), so ``pes`` and ``buffers`` are then per layer (N, G) and
:attr:`Problem.programs` gives each option's program; every method scores the table as ever.

An option is valid (``Problem.valid``) when MAESTRO costs it and the cost is physical — or, with
``Platform(allow_impossible=True)``, when MAESTRO prints it at all.  A layer that no option can
cost (every option invalid) makes the problem infeasible: :attr:`Problem.uncostable` lists such
layers and :meth:`Problem.infeasible_reason` names the first; every method then returns an
infeasible result carrying that reason.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..budgets import LS_SIZING, lp_total
from ..cost import evaluate, schema
from ..cost.design import DataflowLike, label, layer_specs, program_of, refusal
from ..dataflow.program import Dataflow
from ..mapping.options import FIELDS, layer_options
from ..platform import Platform
from ..workload import Model
from .objectives import OBJECTIVES, Objective, get_objective

__all__ = ["OBJECTIVES", "Problem", "Scores"]

_FIELDS = ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes")
_CHUNK = 1 << 18  # layer evaluations per kernel call while building the table (bounds temporaries)


@dataclass(frozen=True)
class Scores:
    """Scores of D designs: ``objective`` (cycles, nJ, cycles·nJ or cycles; NaN if a layer is
    invalid), ``feasible``, ``overuse`` (largest relative excess over a budget, 0 if within all)
    and ``usage`` per budget key."""

    objective: np.ndarray
    feasible: np.ndarray
    overuse: np.ndarray
    usage: dict[str, np.ndarray]


@dataclass
class Problem:
    """A model, a platform and an objective, with the per-layer cost table of the action space.

    ``table[f]`` has shape (N, G) for each cost field f (and ``"pes"``), G = ``n_options``;
    option g is (``pes[g]``, ``buffers[g]``, dataflow ``dataflows[dataflow_of[g]]``).  Options
    ``0..n_coarse-1`` are the coarse grid (``pe_levels`` × ``buffer_levels``; option
    ``i·|buffer_levels| + j`` is level pair (i, j)), the rest the other integer points of the box
    (:meth:`Platform.options`); with several dataflows this block of ``block`` options repeats
    once per dataflow.  ``index[i, k - k_lo]`` is the option of point (``pe_axis[i]``, k) in the
    first block (add ``d·block`` for dataflow d), −1 if it is not in the space; ``pe_axis`` is
    :meth:`Platform.pe_values` (P − P_lo is i on a box of every integer P).  ``specs[d]``: the
    dataflow of each layer in block d (a preset's name or a program: a platform's None is each
    layer's own program); ``refused``: why a layer has no option in a block, by (layer, block)."""

    model: Model
    platform: Platform
    objective: str = "latency"
    evaluations: int = 0
    table: dict[str, np.ndarray] = field(init=False)
    valid: np.ndarray = field(init=False)
    pes: np.ndarray = field(init=False)
    buffers: np.ndarray = field(init=False)
    index: np.ndarray = field(init=False)
    pe_axis: np.ndarray = field(init=False)
    dataflow_of: np.ndarray = field(init=False)
    specs: list[tuple[DataflowLike, ...]] = field(init=False)
    refused: dict[tuple[int, int], str] = field(init=False)
    programs: tuple[Sequence[Dataflow], ...] = field(init=False, default=())
    mapping_evaluations: int = field(init=False, default=0)
    mapping_seconds: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        if not isinstance(self.model, Model):
            raise TypeError(f"model must be a confuciux.Model, got {type(self.model).__name__}")
        if len(self.model) == 0:
            raise ValueError(f"model {self.model.name!r} has no layers")
        if not isinstance(self.platform, Platform):
            raise TypeError(f"platform must be a confuciux.Platform, got {type(self.platform).__name__}")
        get_objective(self.objective)
        pl = self.platform
        if pl.mapping is not None:
            self._build_mapping()
            return
        self.pes, self.buffers = pl.options()
        self.dataflow_of = pl.option_dataflows()
        k0, k1 = pl.buffer_bounds
        self.pe_axis = pl.pe_values()
        self.index = np.full((self.pe_axis.size, k1 - k0 + 1), -1, dtype=np.int64)
        block = self.block
        self.index[np.searchsorted(self.pe_axis, self.pes[:block]), self.buffers[:block] - k0] = np.arange(block)
        self.table, self.valid = self._build_table()

    def _build_table(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        pl, n, g, block = self.platform, len(self.model), self.pes.size, self.block
        fields = tuple(dict.fromkeys(_FIELDS + self.objective_spec.reads))  # what budgets and the objective read
        table = {f: np.full((n, g), np.nan) for f in fields}
        valid = np.zeros((n, g), dtype=bool)
        layers = list(self.model)
        self.specs = [layer_specs(d, n, self.model.dataflows) for d in pl.dataflows]
        self.refused = {}
        seen: list[dict[Dataflow, int]] = [{} for _ in range(n)]  # each layer's programs of earlier blocks
        for d, dataflow in enumerate(pl.dataflows):
            programs = [program_of(layer, spec) for layer, spec in zip(layers, self.specs[d], strict=True)]
            rows = []  # the layers this block costs: a new program MAESTRO takes
            for i, program in enumerate(programs):
                if program in seen[i]:  # the same costs as an earlier block's (kept there)
                    earlier = slice(seen[i][program] * block, (seen[i][program] + 1) * block)
                    for f in fields:
                        table[f][i, d * block : (d + 1) * block] = table[f][i, earlier]
                    continue
                seen[i][program] = d
                why = refusal(layers[i], self.specs[d][i], pl.hardware)
                if why is not None:
                    self.refused[i, d] = why
                    continue
                rows.append(i)
            knob = [i for i in rows if "KTileSz" in programs[i].free_names]
            fixed = [i for i in rows if i not in knob]  # the buffer setting changes nothing: its lowest only
            opts = np.arange(d * block, (d + 1) * block)
            lowest = opts[self.buffers[opts] == self.buffers[opts].min()]
            whole = dataflow if len(knob) == n else [self.specs[d][i] for i in knob]
            self._fill(table, valid, fields, knob, opts, whole)
            self._fill(table, valid, fields, fixed, lowest, [self.specs[d][i] for i in fixed])
            if fixed:  # the other buffer settings repeat the lowest's costs (not valid: no duplicates)
                by_p = lowest[np.argsort(self.pes[lowest], kind="stable")]  # one option a P
                same = by_p[np.searchsorted(self.pes[by_p], self.pes[opts])]
                rows_fixed = np.asarray(fixed, dtype=np.int64)
                for f in fields:
                    table[f][np.ix_(rows_fixed, opts)] = table[f][np.ix_(rows_fixed, same)]
        # the same PE counts for every layer: a read-only view, not a copy
        table["pes"] = np.broadcast_to(self.pes.astype(np.float64), (n, g))
        return table, valid

    def _build_mapping(self) -> None:
        """The table of a searched mapping (:mod:`confuciux.mapping.options`): option g of layer i
        is slot g of its found points, so ``pes`` and ``buffers`` are (N, G) and
        :attr:`programs` gives each option's program."""
        pl, n = self.platform, len(self.model)
        assert pl.mapping is not None
        pes = pl.mapping_pes()
        missing = [f for f in self.objective_spec.reads if f not in FIELDS]
        if missing:
            raise ValueError(f"objective {self.objective!r} reads {', '.join(missing)}, which a searched mapping's "
                             f"options do not carry (they carry {', '.join(FIELDS)})")  # fmt: skip
        searched = "energy" if self.objective_spec.reads == ("energy",) else "latency"
        start = time.perf_counter()
        opts = layer_options(list(self.model), pl.mapping, pes, pl.hardware, searched)
        self.mapping_seconds = time.perf_counter() - start
        self.table = {f: opts.costs[f] for f in dict.fromkeys(_FIELDS + self.objective_spec.reads)}
        self.table["pes"] = opts.costs["pes"]
        self.valid = np.isfinite(opts.costs["runtime"])
        self.pes = np.nan_to_num(opts.costs["pes"], nan=1.0).astype(np.int64)
        self.buffers = np.ones_like(self.pes)
        self.programs = opts.programs
        self.mapping_evaluations = opts.evaluations
        self.dataflow_of = np.zeros(self.pes.shape[1], dtype=np.int64)
        self.pe_axis = np.unique(pes)
        self.index = np.full((0, 0), -1, dtype=np.int64)
        self.specs = [(pl.mapping,) * n]  # type: ignore[list-item]
        self.refused = {(int(i), 0): "its mapping search found no physically valid mapping on these PE counts"
                        for i in np.flatnonzero(opts.counts == 0)}  # fmt: skip

    def _fill(self, table: dict[str, np.ndarray], valid: np.ndarray, fields: tuple[str, ...], rows: list[int],
              options: np.ndarray, dataflow: DataflowLike | list[DataflowLike] | None) -> None:  # fmt: skip
        """Cost layers ``rows`` on ``options`` (``dataflow``: the block's, or one per row) into the
        table, in chunks; an option is valid where the platform may use its cost."""
        if not rows or not options.size:
            return
        pl = self.platform
        index = np.asarray(rows, dtype=np.int64)
        model: Any = self.model if len(rows) == len(self.model) else [self.model[i] for i in rows]
        step = max(1, _CHUNK // len(rows))
        for a in range(0, options.size, step):
            cols = options[a : a + step]
            p = np.repeat(self.pes[cols, None], len(rows), 1)
            k = np.repeat(self.buffers[cols, None], len(rows), 1)
            costs = evaluate(model, p, k, dataflow, pl.hardware)
            for f in fields:
                table[f][np.ix_(index, cols)] = costs[f].T
            valid[np.ix_(index, cols)] = pl.usable(costs).T

    @property
    def n_layers(self) -> int:
        return len(self.model)

    @property
    def n_options(self) -> int:
        return int(self.pes.shape[-1])

    @property
    def n_coarse(self) -> int:
        """Options 0..n_coarse-1 are the coarse grid (the RL agent's level pairs) of the first
        dataflow; :attr:`coarse` covers every dataflow."""
        return self.platform.n_coarse

    @property
    def block(self) -> int:
        """Options per dataflow (:attr:`Platform.n_block`; a searched mapping: every option)."""
        return self.n_options if self.programs else self.platform.n_block

    @property
    def dataflows(self) -> tuple[DataflowLike | None, ...]:
        return self.platform.dataflows

    @property
    def coarse(self) -> np.ndarray:
        """The coarse options of every dataflow, in the order (dataflow, PE level, buffer level):
        entry ``(d·|pe_levels| + i)·|buffer_levels| + j`` is the option of level pair (i, j) with
        dataflow d (for one dataflow, entry g is option g).  A searched mapping: ``n_coarse`` options
        evenly spaced over the slots (each layer's found points by area)."""
        if self.programs:
            return np.asarray(np.linspace(0, self.n_options - 1, self.n_coarse).round(), dtype=np.int64)
        return (np.arange(len(self.dataflows))[:, None] * self.block + np.arange(self.n_coarse)[None, :]).ravel()

    @property
    def objective_spec(self) -> Objective:
        return OBJECTIVES[self.objective]

    @property
    def additive(self) -> bool:
        return self.objective_spec.additive

    @property
    def uncostable(self) -> np.ndarray:
        """Indices of the layers that no option can cost (all invalid)."""
        return np.flatnonzero(~self.valid.any(axis=1))

    def infeasible_reason(self) -> str | None:
        """Why no design can be feasible, when that is plain before any search, or None: the
        first layer no option can cost, or the budgets that even the lightest design exceeds
        (:meth:`budget_floors`), with the least each needs and the layers that need the most."""
        bad = self.uncostable
        if bad.size:
            n = int(bad[0])
            name = self.model[n].name
            more = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
            why = next((f": {why}" for (i, _), why in self.refused.items() if i == n), "")
            return (f"layer {n} ({name!r}) of {self.model.name!r} has no valid option on this platform's action "
                    f"space (dataflow {self.platform.dataflow_label}){more}{why}")  # fmt: skip
        over = []
        for key, (need, drivers) in self.budget_floors().items():
            limit = self.platform.budgets[key]
            if need > limit:
                layers = ", ".join(f"{n} ({self.model[n].name!r}) {v:,.6g}" for n, v in drivers)
                total = "Σ over layers" if self.platform.deployment == "LP" else "the one accelerator"
                over.append(f"{key} needs at least {need:,.6g} {schema.unit(key)} ({total}) of the budget "
                            f"{limit:,.6g}; layers needing the most: {layers}")  # fmt: skip
        if over:
            return "no design fits the budgets, not even the lightest: " + "; ".join(over)
        return None

    def budget_floors(self, drivers: int = 3) -> dict[str, tuple[float, list[tuple[int, float]]]]:
        """Per budget: the least usage any design of the space has, and the (at most ``drivers``)
        layers that set it, with their least use, largest first.  Layer-pipelined: the sum of
        every layer's least use.  Layer-sequential: the largest of the layers' least P, L1 and L2,
        and area and power of the accelerator of those sizes (a floor when area and power grow with
        P, L1 and L2: every coefficient is >= 0 but the arbiter polynomial's, whose a2 and a1 must
        be too; otherwise not given).
        Empty when a layer has no valid option."""
        pl = self.platform
        if not pl.budgets or self.uncostable.size:
            return {}
        least = {k: np.min(np.where(self.valid, self.table[k], np.inf), axis=1)
                 for k in (pl.budgets if pl.deployment == "LP" else LS_SIZING)}  # fmt: skip

        def top(per: np.ndarray) -> list[tuple[int, float]]:
            order = np.argsort(-per, kind="stable")[:drivers]
            return [(int(n), float(per[n])) for n in order]

        if pl.deployment == "LP":
            return {k: (float(lp_total(least[k])), top(least[k])) for k in pl.budgets}
        size = {k: float(np.max(v)) for k, v in least.items()}
        out = {k: (size[k], top(least[k])) for k in pl.budgets if k in LS_SIZING}
        a2, a1, _ = pl.hardware.arbiter_poly  # every other coefficient is >= 0 (Hardware checks)
        if any(k not in LS_SIZING for k in pl.budgets) and a2 >= 0 and a1 >= 0:
            area, power = pl.limits.accelerator(*(size[k] for k in LS_SIZING))
            sizing = top(least["pes"])[:1] + top(least["l1_bytes"])[:1] + top(least["l2_bytes"])[:1]
            for k, v in (("area", area), ("power", power)):
                if k in pl.budgets:
                    out[k] = (float(v), sizing)
        return out

    def layer_cost(self) -> np.ndarray:
        """The per-layer values (N, G) of the objective's (first) output: its contribution for an
        additive objective, the stage value for a bottleneck one."""
        return self.table[self.objective_spec.reads[0]]

    def per_layer(self, choice: np.ndarray, fields: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Per-layer values (D, N) of ``fields`` for designs (D, N) of option indices."""
        rows = np.arange(self.n_layers)[None, :]
        return {f: self.table[f][rows, choice] for f in fields}

    def score(self, choice: np.ndarray, count: bool = True) -> Scores:
        """Score designs given as option indices, shape (D, N) or (N,)."""
        choice = np.asarray(choice, dtype=np.int64)
        single = choice.ndim == 1
        c = choice[None, :] if single else choice
        spec, limits = self.objective_spec, self.platform.limits
        per = self.per_layer(c, tuple(dict.fromkeys(spec.fields + limits.needs())))
        valid = np.all(self.valid[np.arange(self.n_layers)[None, :], c], axis=1)
        usage, fits, overuse = limits.check(per)
        objective = np.where(valid, spec.value(per), np.nan)
        if count:
            self.evaluations += c.shape[0]
        return Scores(objective, valid & fits, np.where(valid, overuse, np.inf), usage)

    def over_budget(self, choice: np.ndarray) -> np.ndarray:
        """For valid designs (D, N): which exceed a budget, exactly as :meth:`score` decides it
        but reading only the budgeted resources.  Counts one evaluation per design, as
        :meth:`score` does."""
        choice = np.asarray(choice, dtype=np.int64)
        limits = self.platform.limits
        self.evaluations += choice.shape[0]
        if not limits.limits:
            return np.zeros(choice.shape[0], dtype=bool)
        return ~limits.fits(limits.usage(self.per_layer(choice, limits.needs())))

    def decode(self, choice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pes, buffers) per layer of a design given as option indices."""
        choice = np.asarray(choice, dtype=np.int64)
        if self.pes.ndim == 2:  # a searched mapping: each layer's own options
            rows = np.arange(self.n_layers)
            return self.pes[rows, choice], self.buffers[rows, choice]
        return self.pes[choice], self.buffers[choice]

    def decode_dataflows(self, choice: np.ndarray) -> tuple[DataflowLike, ...]:
        """The dataflow per layer of a design (N,) given as option indices: a preset's name or a
        program (:attr:`Result.dataflows`; a searched mapping: each layer's program found)."""
        if self.programs:
            return tuple(self.programs[i][int(g)] for i, g in enumerate(np.asarray(choice, dtype=np.int64)))
        blocks = self.dataflow_of[np.asarray(choice, dtype=np.int64)]
        return tuple(self.specs[int(d)][i] for i, d in enumerate(blocks))

    def encode(self, pes: ArrayLike, buffers: ArrayLike, dataflows: Any = None) -> np.ndarray:
        """Option indices of a design given as per-layer (pes, buffers) and, with several
        dataflows, ``dataflows`` (entries of :attr:`dataflows` or their labels, one a layer, or
        one; default the first dataflow); ValueError if a point is not in the platform's action
        space."""
        if self.programs:
            raise ValueError("a searched mapping's options are the points found per layer, not (P, k) pairs: "
                             "pick them by index (Problem.pes, Problem.programs)")  # fmt: skip
        k0, k1 = self.platform.buffer_bounds
        p, k = np.broadcast_arrays(np.asarray(pes, dtype=np.int64), np.asarray(buffers, dtype=np.int64))
        at = np.clip(np.searchsorted(self.pe_axis, p), 0, self.pe_axis.size - 1)
        inside = (self.pe_axis[at] == p) & (k >= k0) & (k <= k1)
        out = np.where(inside, self.index[at, np.clip(k - k0, 0, k1 - k0)], -1)
        if np.any(out < 0):
            raise ValueError("the design is not in the platform's action space")
        if dataflows is not None:
            one = isinstance(dataflows, (str, Dataflow))
            names = [dataflows] * out.shape[-1] if one else list(dataflows)
            labels = [label(d) for d in self.dataflows]
            blocks = [self.dataflows.index(d) if d in self.dataflows else labels.index(d) if d in labels else -1
                      for d in names]  # fmt: skip
            if -1 in blocks or len(names) != out.shape[-1]:
                raise ValueError(f"dataflows must name one of {labels} per layer, got {dataflows!r}")
            out = out + self.block * np.array(blocks, dtype=np.int64)
        return np.asarray(out)

    def fitness_key(self, scores: Scores) -> np.ndarray:
        """A total order for searches: feasible designs by objective, then infeasible ones by
        overuse (larger is worse), then invalid ones."""
        obj = np.nan_to_num(scores.objective, nan=np.inf)
        big = np.float64(1e300)
        infeasible = np.where(np.isfinite(obj), big * 0.5 + scores.overuse * 1e290, big)
        return np.asarray(np.where(scores.feasible, obj, infeasible))
