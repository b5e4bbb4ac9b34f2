"""The outcome of a search: the per-layer assignment, its costs, and how it was found."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import _result_io
from . import _result_schema as _schema
from ._deprecation import deprecated
from ._result_schema import COST_FIELDS as _COST_FIELDS
from .cost import LayerCosts, evaluate
from .cost.design import DataflowLike, closed_form, label, program_of
from .dataflow.program import Dataflow
from .hardware import Hardware
from .search.objectives import unit
from .workload import Model

__all__ = ["Result", "SlowerWithMorePEs", "slower_with_more_pes"]

def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


class SlowerWithMorePEs(UserWarning):
    """A design gives a layer P PEs where fewer PEs (same buffer setting and dataflow) run it
    faster.  MAESTRO's runtime is not monotone in P for strided shi and eye layers
    (docs/cost-model.md, "What is monotone"); such a design spends PEs (and area) for nothing."""


#: Fewer-PE counts a layer's P is compared with by :func:`slower_with_more_pes`: every P' < P up
#: to this many, and P − 1.
PE_CHECK = 256


def slower_with_more_pes(layers: Any, pes: Any, buffers: Any, dataflows: Any, hardware: Hardware) -> list[int]:
    """The layers (indices) whose P PEs run slower than some P' < P with the same buffer setting
    and dataflow (P' in 1..min(P − 1, :data:`PE_CHECK`) and P − 1): one kernel call a layer.
    Layers on the closed forms only (the general engine's Python reference would take seconds a
    layer)."""
    out = []
    layers = list(layers)
    for i, (layer, p, k, d) in enumerate(zip(layers, np.asarray(pes).tolist(), np.asarray(buffers).tolist(),
                                             dataflows, strict=True)):  # fmt: skip
        if p <= 1 or not hardware.confuciux_flags or closed_form(layer, d) is None:
            continue
        fewer = np.unique(np.concatenate([np.arange(1, min(p - 1, PE_CHECK) + 1), [p - 1, p]]))
        c = evaluate([layer] * fewer.size, fewer, k, d, hardware, outputs=("runtime",))
        ok = np.asarray(c.valid)
        if ok[-1] and np.any(ok[:-1] & (c.runtime[:-1] < c.runtime[-1])):
            out.append(i)
    return out


@dataclass(frozen=True, eq=False)
class Result:
    """A design and its record.

    ``model_name``: the model's name (``workload``, when present, is the model itself).
    ``pes`` and ``buffers``: per-layer int arrays in the model's layer order.  ``costs``: the
    :class:`LayerCosts` that :func:`confuciux.evaluate` gives for them.  ``objective_value`` (the
    objective's units: cycles, nJ, cycles·nJ) is computed from ``costs``.  ``constraint_used``:
    per budget ``{"used", "budget", "fraction"}``.  ``history``: best-so-far objective and the
    evaluation count after each epoch.  ``improvements``: the objective of every new best
    feasible design and the evaluation count when it was met (finer than epochs).
    ``lower_bound``: a certified bound on the optimum (exact method), else None.
    ``space``: the action space searched (:meth:`Platform.describe_space`: bounds, levels,
    options a layer).  ``reason``: why the result is infeasible when no design could be costed
    or fit (e.g. the layer no option can cost), else None.  ``dataflows``: the dataflow of each
    layer's sub-accelerator, a preset's name (``"dla"``; depthwise layers run dpt under dla, shi
    and eye) or its :class:`~confuciux.Dataflow` (all the same unless the platform offers
    several; :attr:`programs` gives every layer's program); ``costs`` are
    :func:`confuciux.evaluate` of (pes, buffers, dataflows).
    """

    model_name: str
    method: str
    objective: str
    pes: np.ndarray
    buffers: np.ndarray
    costs: LayerCosts
    objective_value: float
    constraint_used: dict[str, dict[str, float]]
    feasible: bool
    history: list[dict[str, float]]
    evaluations: int
    seconds: float
    seed: int | None
    lower_bound: float | None = None
    interrupted: bool = False
    platform: dict[str, Any] = field(default_factory=dict)
    improvements: list[dict[str, float]] = field(default_factory=list)
    space: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    workload: Model | None = None
    hardware: Hardware | None = None
    dataflows: tuple[DataflowLike, ...] = ()

    @property
    def model(self) -> str:
        """Former name of :attr:`model_name` (FutureWarning until 0.3: ``Explorer.model`` is a
        :class:`Model`, ``Result.model`` was a name)."""
        deprecated("Result.model (a name)", "Result.model_name, or Result.workload for the Model", user=True)
        return self.model_name

    @property
    def programs(self) -> tuple[Dataflow, ...]:
        """The program each layer runs (its :attr:`dataflows` entry; a preset's name becomes
        its program for the layer, ``dpt`` for a depthwise layer under dla, shi or eye)."""
        workload = _result_io._need_workload(self)
        return tuple(program_of(layer, d) for layer, d in zip(workload, self._layer_dataflows(), strict=True))

    def _layer_dataflows(self) -> tuple[DataflowLike, ...]:
        """Each layer's dataflow: :attr:`dataflows`, or the platform's one dataflow for a file
        written before the field existed."""
        return tuple(self.dataflows) or (str(self.platform.get("dataflow", "dla")),) * len(self.pes)

    @property
    def gap(self) -> float | None:
        """(objective − lower_bound) / lower_bound, when a bound is known."""
        if self.lower_bound is None or not self.lower_bound or not math.isfinite(self.objective_value):
            return None
        return (self.objective_value - self.lower_bound) / self.lower_bound

    @property
    def on_bound(self) -> dict[str, list[int]]:
        """The layers whose PE count or buffer setting sits on the upper bound of the space
        searched (``space["pe_bounds"]``, ``space["buffer_bounds"]``): ``{"pes": [...],
        "buffers": [...]}``, only the non-empty ones.  A design there may be held back by the
        bound rather than by a budget: widen ``pe_bounds`` / ``buffer_bounds`` to see."""
        out = {}
        for key, values in (("pes", self.pes), ("buffers", self.buffers)):
            bounds = self.space.get("pe_bounds" if key == "pes" else "buffer_bounds")
            if bounds:
                layers = np.flatnonzero(np.asarray(values) >= bounds[1]).tolist()
                if layers:
                    out[key] = layers
        return out

    def summary(self) -> str:
        """A readable table: per-layer assignment and costs, then the totals and budgets."""
        lines = [
            f"{self.model_name}: method {self.method}, objective {self.objective} "
            f"= {self.objective_value:,.6g} {unit(self.objective)}"
            + ("" if self.feasible else "  [INFEASIBLE]")
            + ("  [interrupted]" if self.interrupted else ""),
        ]
        if self.reason:
            lines.append(f"infeasible: {self.reason}")
        mixed = len(set(self.dataflows)) > 1  # a dataflow column only when layers differ
        names = [label(d) for d in self.dataflows]
        lines.append(
            f"{'layer':>5} {'PEs':>5} {'buf':>4} {'runtime':>14} {'energy_nJ':>12} {'area_um2':>12} "
            f"{'L1_B':>7} {'L2_B':>9}" + (" dataflow" if mixed else "")
        )
        c = self.costs
        for i in range(len(self.pes)):
            lines.append(
                f"{i:>5} {int(self.pes[i]):>5} {int(self.buffers[i]):>4} {c.runtime[i]:>14,.0f} "
                f"{c.energy[i]:>12.5g} {c.area[i]:>12.5g} {c.l1_bytes[i]:>7.0f} {c.l2_bytes[i]:>9.0f}"
                + (f" {names[i]:>8}" if mixed else "")
            )
        t = c.total()
        total_pes = sum(int(v) for v in self.pes)  # Python ints: an int64 sum could wrap
        lines.append(f"total: runtime {float(t.runtime):,.0f} cycles, energy {float(t.energy):.6g} nJ, PEs {total_pes}")
        for key, u in self.constraint_used.items():
            lines.append(f"budget {key}: {u['used']:.6g} of {u['budget']:.6g} ({100 * u['fraction']:.2f} %)")
        if self.on_bound:
            what = {"pes": "P", "buffers": "k"}
            at = ", ".join(f"{len(v)} at {what[k]} = {self.space['pe_bounds' if k == 'pes' else 'buffer_bounds'][1]}"
                           for k, v in self.on_bound.items())  # fmt: skip
            lines.append(f"on the space's upper bound: {at} layer(s) (widen pe_bounds / buffer_bounds to look past it)")
        if self.lower_bound is not None:
            gap = self.gap
            lines.append(
                f"lower bound {self.lower_bound:,.6g}" + (f" (gap {100 * gap:.4f} %)" if gap is not None else "")
            )
        if "mapping_evaluations" in self.space:  # a searched mapping: its layer searches built the table
            lines.append(f"mapping searches: {self.space['mapping_evaluations']:,} engine evaluations in "
                         f"{self.space.get('mapping_seconds', float('nan')):.2f} s (the layers' options)")
        lines.append(f"{self.evaluations:,} evaluations in {self.seconds:.2f} s, seed {self.seed}")
        return "\n".join(lines)

    def plot(self, path: str | None = None, **kwargs: Any) -> Any:
        """Per-layer PEs, buffers and shares of runtime and energy, as a matplotlib Figure
        (``pip install confuciux[plot]``; :func:`confuciux.plot.plot_result`); saved to ``path``
        when given."""
        from .plot import plot_result

        fig = plot_result(self, **kwargs)
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig

    def to_dict(self) -> dict[str, Any]:
        costs = {f: [_num(v) for v in getattr(self.costs, f).tolist()] for f in _COST_FIELDS}
        costs["valid"] = [bool(v) for v in self.costs.valid.tolist()]
        costs["status"] = [int(v) for v in self.costs.status.tolist()]
        return {
            "model": self.model_name, "method": self.method, "objective": self.objective,
            "pes": [int(v) for v in self.pes], "buffers": [int(v) for v in self.buffers],
            "costs": costs, "objective_value": _num(self.objective_value),
            "constraint_used": self.constraint_used, "feasible": self.feasible,
            "history": [{k: _num(v) for k, v in h.items()} for h in self.history],
            "evaluations": self.evaluations, "seconds": self.seconds, "seed": self.seed,
            "lower_bound": _num(self.lower_bound) if self.lower_bound is not None else None,
            "interrupted": self.interrupted, "platform": self.platform,
            "improvements": [{k: _num(v) for k, v in h.items()} for h in self.improvements],
            "space": self.space, "reason": self.reason, "dataflows": _result_io.dataflow_entries(self.dataflows),
            **_result_io.extra_dict(self),
        }  # fmt: skip

    def to_json(self, **kwargs: Any) -> str:
        """Strict JSON (NaN and infinities written as null) of :meth:`to_dict`; self-contained
        when the result carries its layers and hardware (``workload``, ``hardware``)."""
        return json.dumps(_result_io.finite(self.to_dict()), allow_nan=False, **kwargs)

    def to_maestro(self, directory: str | os.PathLike[str]) -> list[Path]:
        """MAESTRO files to re-run every layer of this design: the model file, one mapping file
        per layer (PEs, KTileSz, dataflow) and ``run_maestro.sh``; see docs/workloads.md."""
        return _result_io.write_maestro(self, directory)

    def to_csv(self, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
        """The per-layer table (layer, PEs, buffer, costs, status) as CSV."""
        _result_io.write_csv(self, path_or_file)

    @classmethod
    def from_json(cls, text: str | bytes) -> Result:
        """The inverse of :meth:`to_json`.  The document is checked against the schema that
        :meth:`to_dict` writes (keys, types, equal lengths, ranges, a known objective, nesting
        depth) and for contradictions (``NaN``/``Infinity`` tokens, ``valid`` against ``status``
        and the costs, a negative objective, ``feasible`` against validity and budgets, a usage
        fraction that is not used / budget); any violation raises a :class:`ValueError` naming the
        field.  The method may be any name (no registry is consulted).  Keys this version does
        not know are ignored."""
        d = _schema.load(text)
        nan = float("nan")
        costs = d["costs"]
        layer_costs = LayerCosts(
            **{f: np.array([nan if v is None else v for v in costs[f]], dtype=np.float64) for f in _COST_FIELDS},
            valid=np.array(costs["valid"], dtype=bool),
            status=np.array(costs["status"], dtype=np.uint8),
            accesses={},
        )
        result = cls(
            model_name=d["model"], method=d["method"], objective=d["objective"],
            pes=np.array(d["pes"], dtype=np.int64), buffers=np.array(d["buffers"], dtype=np.int64),
            costs=layer_costs, objective_value=_nan(d["objective_value"]),
            constraint_used={k: {f: _nan(x) for f, x in u.items()} for k, u in d["constraint_used"].items()},
            feasible=d["feasible"],
            history=[{k: _nan(v) for k, v in h.items()} for h in d["history"]],
            evaluations=d["evaluations"], seconds=d["seconds"], seed=d["seed"],
            lower_bound=d["lower_bound"], interrupted=d["interrupted"], platform=d["platform"],
            improvements=[{k: _nan(v) for k, v in h.items()} for h in d.get("improvements", [])],
            space=d.get("space", {}), reason=d.get("reason"),
            dataflows=_result_io.read_dataflows(d.get("dataflows", []), len(d["pes"])),
        )  # fmt: skip
        return _result_io.restore(result, d)


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)
