"""Which dataflow suits a model?  Compare dataflows fairly: at the same absolute budget.

``Platform.confuciux(model, dataflow, constraint, mul)`` sets the budget *relative* to each
dataflow's own corner designs, so the same ``mul`` gives every dataflow a different number of
µm² (or mW, PEs, bytes): comparing their results compares different budgets.
:func:`compare_dataflows` fixes one absolute budget — given (``budgets={"area": 3e6}``), or
computed once from a ``reference`` dataflow's relative budget — and searches every dataflow
under it; its :class:`Comparison` says which budget that was and what the relative budgets would
have been.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._deprecation import deprecated
from .cost import DATAFLOWS
from .cost.design import DataflowLike, label, labels, preset_name
from .dataflow.program import Dataflow
from .hardware import Hardware
from .mapping.settings import MappingSearch, mapping_spec
from .mapping.space import MappingSpace
from .platform import Platform
from .presets import check_budgets
from .result import Result
from .search.objectives import get_objective, unit
from .sweeps import Case, sweep
from .workload import Model

__all__ = ["Comparison", "compare_dataflows", "default_method"]

#: An entry of a comparison: a preset's name, a program, None (each layer's own), or a searched mapping.
Entry = DataflowLike | None | MappingSpace | MappingSearch


def _num(v: float) -> str:
    return f"{v:,.0f}" if 1e3 <= abs(v) < 1e15 else f"{v:.6g}"


def default_method(objective: str, deployment: str) -> str:
    """``"exact"`` where the exact solver proves the optimum (layer-pipelined, an additive or
    bottleneck objective it accepts: latency, energy, throughput), so a comparison carries no
    search noise; ``"confuciux"`` otherwise."""
    spec = get_objective(objective)
    proven = spec.exact and spec.kind in ("additive", "bottleneck")
    return "exact" if deployment.upper() == "LP" and proven else "confuciux"


@dataclass(frozen=True)
class Comparison:
    """Results of the same model (``model_name``) under the same absolute ``budgets`` on several
    dataflows, keyed by their labels (a preset's name; a program by its preset's name, else
    ``program``, ``program#2``, ...; ``model`` for each layer's own program; ``mapping`` for a
    searched mapping).

    ``reference``: the dataflow whose relative budget (``constraint``, ``mul``) was turned into
    the absolute one, or None when the budgets were given.  ``relative_budgets``: per dataflow,
    what ``Platform.confuciux`` with the same ``mul`` would have given (the unfair comparison;
    empty when the budgets were given; a searched mapping has none)."""

    model_name: str
    objective: str
    method: str
    budgets: dict[str, float]
    reference: str | None
    mul: float | None
    relative_budgets: dict[str, dict[str, float]]
    results: dict[str, Result]

    @property
    def model(self) -> str:
        """Former name of :attr:`model_name` (FutureWarning until 0.3)."""
        deprecated("Comparison.model (a name)", "Comparison.model_name", user=True)
        return self.model_name

    @property
    def best(self) -> str | None:
        """The dataflow with the best objective among those with a feasible design."""
        ok = {d: r.objective_value for d, r in self.results.items() if r.feasible}
        return min(ok, key=lambda d: ok[d]) if ok else None

    def rows(self) -> list[dict[str, Any]]:
        """One row per dataflow: objective, ratio to the best, feasibility, budget use."""
        best = self.best
        top = self.results[best].objective_value if best else math.nan
        out = []
        for d, r in self.results.items():
            row: dict[str, Any] = {"dataflow": d, "objective_value": r.objective_value, "feasible": r.feasible,
                                   "vs_best": r.objective_value / top if r.feasible and best else math.nan}  # fmt: skip
            for key, u in r.constraint_used.items():
                row[f"used_{key}"] = u["used"]
            if r.lower_bound is not None:
                row["gap"] = r.gap
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the budgets, how they were set, and each dataflow's result."""
        return {"model": self.model_name, "objective": self.objective, "method": self.method, "budgets": self.budgets,
                "reference": self.reference, "mul": self.mul, "relative_budgets": self.relative_budgets,
                "best": self.best, "results": {d: r.to_dict() for d, r in self.results.items()}}  # fmt: skip

    def plot(self, path: str | None = None) -> Any:
        """Bars of the objective per dataflow (:func:`confuciux.plot.plot_comparison`); saved to
        ``path`` when given."""
        from .plot import plot_comparison

        fig = plot_comparison(self)
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig

    def summary(self) -> str:
        """A readable table, headed by the budget every dataflow was given."""
        budget = ", ".join(f"{k} {_num(v)} {unit(k)}" for k, v in self.budgets.items())
        lines = [f"{self.model_name}: {self.objective} ({unit(self.objective)}) by dataflow, method {self.method}"]
        if self.reference is not None:
            lines.append(
                f"fair comparison: every dataflow gets the same absolute budget, {budget} "
                f"(computed once from {self.reference}'s budget at mul {self.mul:g})"
            )
            unfair = "; ".join(
                f"{d} {', '.join(_num(v) for v in b.values())}" for d, b in self.relative_budgets.items()
            )
            lines.append(f"(per-dataflow relative budgets at mul {self.mul:g} would differ: {unfair})")
        else:
            lines.append(f"fair comparison: every dataflow gets the same absolute budget, {budget}")
        w = max(8, *(len(d) for d in self.results))  # "dla+shi+eye" with per_layer
        lines.append(f"{'dataflow':>{w}} {'objective':>16} {'vs best':>8}  budget used")
        for row, r in zip(self.rows(), self.results.values(), strict=True):
            used = ", ".join(f"{k} {100 * u['fraction']:.1f} %" for k, u in r.constraint_used.items())
            value = _num(r.objective_value) if r.feasible else "infeasible"
            ratio = f"{row['vs_best']:.3f}" if r.feasible else "-"
            lines.append(f"{row['dataflow']:>{w}} {value:>16} {ratio:>8}  {used}")
        if self.best is not None:
            lines.append(f"best: {self.best}")
        return "\n".join(lines)


def compare_dataflows(
    model: Model,
    dataflows: Sequence[Entry] = DATAFLOWS,
    objective: str = "latency",
    method: str | None = None,
    *,
    budgets: Mapping[str, float] | None = None,
    reference: Entry = None,
    constraint: str = "area",
    mul: float = 0.5,
    hardware: Hardware | None = None,
    deployment: str = "LP",
    epochs: int = 500,
    seed: int = 0,
    executor: Any = None,
    per_layer: bool = False,
    allow_impossible: bool = False,
) -> Comparison:
    """Search ``model`` on every dataflow under one absolute budget.

    ``dataflows``: presets by name, :class:`~confuciux.Dataflow` programs, None (each
    layer's own program, ``Model.dataflows``), or a searched mapping (a
    :class:`~confuciux.mapping.MappingSpace` or :class:`~confuciux.mapping.settings.MappingSearch`:
    every layer's program searched with its PEs, docs/mapping.md; LP only).  The budget is
    ``budgets`` when given (µm², mW, PEs, bytes per key); otherwise the ``reference`` dataflow's
    (default: the first of ``dataflows`` that is not a searched mapping, which has no relative
    budget) ConfuciuX budget ``min + mul·(max − min)`` of ``constraint``, computed once.
    ``method``: default :func:`default_method` (exact where it is exact).  ``executor``: as for
    :func:`sweep`.  ``per_layer=True`` adds one more entry, named ``"dla+shi+eye"`` (the labels
    joined by ``+``): the heterogeneous design in which every layer picks its own dataflow, under
    the same budget (layer-pipelined only: one accelerator of an LS design has one dataflow), of
    the fixed dataflows (a searched mapping already chooses every layer's program).  Physically
    impossible costs are left out unless ``allow_impossible`` (:class:`Platform`)."""
    flows = [_entry(d, "dataflows: ") for d in dataflows]
    if not flows or len(set(flows)) != len(flows):
        raise ValueError(f"dataflows must be distinct presets' names or Dataflows, got {list(dataflows)!r}")
    names = list(labels(flows))  # type: ignore[arg-type]  # (a searched mapping names itself)
    fixed_flows = [d for d in flows if not isinstance(d, MappingSearch)]
    hw = Hardware.default() if hardware is None else hardware
    relative: dict[str, dict[str, float]] = {}
    if budgets:
        if reference is not None:
            raise ValueError("give either absolute budgets or a reference dataflow, not both")
        check_budgets(budgets)
        fixed, ref, used_mul = dict(budgets), None, None
    else:
        if reference is None and not fixed_flows:
            raise ValueError("a searched mapping has no relative budget (it comes from a fixed dataflow's corner "
                             "designs): give budgets=, or a reference dataflow")  # fmt: skip
        ref = fixed_flows[0] if reference is None else _entry(reference, "reference: ")
        budget_of = {d: dict(Platform.confuciux(model, d, constraint, mul, hw, deployment,
                                                allow_impossible=allow_impossible).budgets)
                     for d in dict.fromkeys([ref, *fixed_flows])}  # fmt: skip
        fixed, used_mul = budget_of[ref], mul
        relative = {name: budget_of[d] for name, d in zip(names, flows, strict=True) if d in budget_of}
    method = default_method(objective, deployment) if method is None else method
    text = ", ".join(f"{k} {v:g}" for k, v in fixed.items())

    def case(d: Any) -> Case:
        platform = Platform(d, hardware=hw, deployment=deployment, budgets=fixed, name=f"absolute budget ({text})",
                            allow_impossible=allow_impossible)
        return Case(model, platform, objective, method, epochs, seed)

    cases = [case(d) for d in flows]
    if per_layer:
        if len(fixed_flows) < 2:
            raise ValueError("per_layer needs at least two fixed dataflows to choose from")
        cases.append(case(tuple(fixed_flows)))
        names.append("+".join(n for n, d in zip(names, flows, strict=True) if d in fixed_flows))
    results = sweep(cases, executor=executor)
    reference_label = None if ref is None else names[flows.index(ref)] if ref in flows else label(ref)
    return Comparison(model.name, objective, method, dict(fixed), reference_label, used_mul, relative,
                      dict(zip(names, results, strict=True)))  # fmt: skip


def _entry(d: object, where: str) -> DataflowLike | None | MappingSearch:
    """A dataflow of the comparison: a preset's name (lower-case), a program, None, or a
    searched mapping (a :class:`MappingSearch`)."""
    if d is None or isinstance(d, Dataflow):
        return d
    return mapping_spec(d) or preset_name(d, where)
