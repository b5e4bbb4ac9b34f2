"""Figures (``pip install confuciux[plot]``): a design, trade-off fronts, convergence.

Every function draws with matplotlib's object API (no pyplot, no global state, no display) and
returns the :class:`matplotlib.figure.Figure`; pass ``ax`` to draw into an axis of your own
figure instead.  Save with ``fig.savefig("out.png")``.

* :func:`plot_result` — per-layer PEs, buffer (KTileSz) and each layer's share of the runtime
  and energy of a :class:`~confuciux.Result` (``Result.plot()`` calls it);
* :func:`plot_fronts` — trade-off fronts (objective against resource) on one axis, e.g. one per
  dataflow; a front is any object with ``resource`` and ``objective`` arrays (see the function);
* :func:`plot_convergence` — best objective so far against evaluations, from ``Result.history``;
* :func:`plot_comparison` — the objective per dataflow of a :func:`~confuciux.compare.compare_dataflows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._deprecation import deprecated
from .budgets import BUDGET_KEYS
from .search.objectives import OBJECTIVES, unit

if TYPE_CHECKING:
    from .result import Result

__all__ = ["plot_result", "plot_fronts", "plot_convergence", "plot_comparison"]


def __getattr__(name: str) -> Any:
    if name == "UNITS":  # units come from the objective and output tables now
        deprecated("confuciux.plot.UNITS", "confuciux.search.objectives.unit(name)")
        return {k: unit(k) for k in (*OBJECTIVES, *BUDGET_KEYS)}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _figure(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install confuciux[plot]") from None
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _label(name: str) -> str:
    u = unit(name)
    return f"{name.replace('_', ' ')} ({u})" if u else name.replace("_", " ")


def plot_result(result: Result, fig: Any = None) -> Any:
    """Three panels over the layers (model order): PEs, buffer level (KTileSz), and each layer's
    share (%) of the total runtime and of the total energy.  The title gives the objective and
    the use of every budget.  ``fig``: an empty matplotlib Figure to draw in (default: a new one,
    sized to the number of layers)."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, MaxNLocator
    except ImportError:
        raise ImportError("plots need matplotlib: pip install confuciux[plot]") from None
    n = len(result.pes)
    if fig is None:
        fig = Figure(figsize=(max(6.0, min(16.0, 3.0 + 0.18 * n)), 7.0), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    x = np.arange(n)
    axes[0].bar(x, result.pes, color="tab:blue")
    axes[0].set_ylabel("PEs")
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # no 0.2 PEs
    if result.pes.max() / max(result.pes.min(), 1) >= 16:
        axes[0].set_yscale("log", base=2)
        axes[0].set_ylim(bottom=0.75)  # a 1-PE layer stays visible
        axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 1, 4, 16, 64, not 2^k
    axes[1].bar(x, result.buffers, color="tab:orange")
    axes[1].set_ylabel("buffer (KTileSz)")
    axes[1].yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    width = 0.42
    for offset, field, color in ((-width / 2, "runtime", "tab:green"), (width / 2, "energy", "tab:red")):
        values = np.nan_to_num(getattr(result.costs, field), nan=0.0)
        total = values.sum()
        share = 100 * values / total if total > 0 else values
        axes[2].bar(x + offset, share, width, color=color, label=f"{field} ({_short_total(total, field)})")
    axes[2].set_ylabel("share of total (%)")
    top = max((p.get_height() for p in axes[2].patches), default=1.0)
    axes[2].set_ylim(0, 1.3 * top)  # head room for the legend
    axes[2].legend(loc="upper right", fontsize="small", ncol=2)
    axes[2].set_xlabel("layer (model order)")
    # min_n_ticks=1: with one or two layers the default falls back to ticks like -0.6 and 0.6
    axes[2].xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(n, 20), min_n_ticks=1))
    axes[2].set_xlim(-0.7, n - 0.3)
    for ax in axes:
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(_result_title(result), fontsize="medium")
    return fig


def _short_total(total: float, field: str) -> str:
    return f"total {total:.3g} {unit(field)}"


def _result_title(result: Result) -> str:
    pl = result.platform
    head = f"{result.model_name}, {pl.get('dataflow', '?')}, {result.method}: {result.objective} "
    head += f"{result.objective_value:,.4g} {unit(result.objective)}"
    if not result.feasible:
        head += " [INFEASIBLE]"
    used = ", ".join(f"{k} {100 * u['fraction']:.1f} % of {u['budget']:.3g} {unit(k)}"
                     for k, u in result.constraint_used.items())  # fmt: skip
    return head + (f"\nbudget used: {used}" if used else "")


def _front_names(front: Any) -> tuple[str, str]:
    resource = getattr(front, "resource_name", None) or getattr(front, "resource_key", None) or "resource"
    objective = getattr(front, "objective_name", None) or "objective"
    return str(resource), str(objective)


def plot_fronts(
    fronts: Any,
    ax: Any = None,
    labels: Sequence[str] | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
) -> Any:
    """Trade-off fronts on one axis: objective against resource, one step line per front
    (a design is available from its resource onward).

    A front is any object with equal-length numeric arrays ``resource`` (ascending) and
    ``objective``; ``resource_name`` and ``objective_name`` (e.g. ``"area"``, ``"latency"``) label
    the axes with their units when present.  ``fronts``: one front or a sequence; ``labels``:
    one per front (default: the front's ``label`` attribute, else its position).  ``logx`` /
    ``logy``: log scales; by default (None) an axis is logarithmic when its values span a factor
    of 20 or more (an exact front runs from the lightest design to the fastest)."""
    seq = [fronts] if hasattr(fronts, "resource") else list(fronts)
    if not seq:
        raise ValueError("plot_fronts needs at least one front")
    if labels is not None and len(labels) != len(seq):
        raise ValueError(f"{len(labels)} labels for {len(seq)} fronts")
    fig, ax = _figure(ax, (6.4, 4.4))
    for i, front in enumerate(seq):
        r = np.asarray(front.resource, dtype=np.float64)
        o = np.asarray(front.objective, dtype=np.float64)
        if r.shape != o.shape or r.ndim != 1:
            raise ValueError(f"front {i}: resource and objective must be 1-D arrays of one length")
        label = labels[i] if labels is not None else getattr(front, "label", None) or f"front {i}"
        marker = "o" if r.size <= 60 else None  # an exact front over the integer box has thousands of points
        ax.step(r, o, where="post", marker=marker, markersize=3, label=str(label))
    resource, objective = _front_names(seq[0])
    ax.set_xlabel(_label(resource))
    ax.set_ylabel(_label(objective))
    xs = np.concatenate([np.asarray(f.resource, dtype=np.float64) for f in seq])
    ys = np.concatenate([np.asarray(f.objective, dtype=np.float64) for f in seq])
    if logx or (logx is None and _wide(xs)):
        ax.set_xscale("log")
    if logy or (logy is None and _wide(ys)):
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(seq) > 1 or labels is not None or getattr(seq[0], "label", None):
        ax.legend(fontsize="small")
    model = getattr(seq[0], "model", None)
    head = f"{model}: " if isinstance(model, str) else ""
    ax.set_title(f"{head}{objective} against {resource}, Pareto-optimal designs", fontsize="medium")
    return fig


def _wide(values: np.ndarray) -> bool:
    v = values[np.isfinite(values) & (values > 0)]
    return bool(v.size and v.max() >= 20 * v.min())


def plot_convergence(
    results: Result | Sequence[Result],
    ax: Any = None,
    labels: Sequence[str] | None = None,
    x: str = "evaluations",
    relative_to: float | None = None,
    relative_name: str = "reference",
) -> Any:
    """Best feasible objective so far after each epoch (``Result.history``) against design
    evaluations (``x="evaluations"``, log scale) or epochs (``x="epoch"``).  ``relative_to``:
    divide by this value (e.g. the exact optimum, with ``relative_name="optimum"``) to plot a
    ratio.  Epochs before the first feasible design are not drawn; each curve's first point is
    marked, and line styles differ so that curves that coincide stay visible."""
    if x not in ("evaluations", "epoch"):
        raise ValueError(f"x must be 'evaluations' or 'epoch', got {x!r}")
    seq: list[Any] = [results] if hasattr(results, "history") else list(results)
    if labels is not None and len(labels) != len(seq):
        raise ValueError(f"{len(labels)} labels for {len(seq)} results")
    fig, ax = _figure(ax, (6.4, 4.4))
    for i, r in enumerate(seq):
        xs = np.array([h[x] for h in r.history], dtype=np.float64)
        ys = np.array([h["best"] for h in r.history], dtype=np.float64)
        if relative_to:
            ys = ys / relative_to
        label = labels[i] if labels is not None else f"{r.method} (seed {r.seed})"
        style = ("-", "--", ":", "-.")[i % 4]
        first = int(np.argmax(np.isfinite(ys)))
        ax.step(xs, ys, where="post", label=label, linestyle=style, marker="o", markevery=[first], markersize=4)
    objective = seq[0].objective if seq else "objective"
    ax.set_xlabel("design evaluations" if x == "evaluations" else "epoch")
    if x == "evaluations":
        ax.set_xscale("log")
    if relative_to:
        ax.set_ylabel(f"best {objective} / {relative_name} ({relative_to:,.4g} {unit(objective)})")
    else:
        ax.set_ylabel(f"best {_label(objective)}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    model = seq[0].model_name if seq else ""
    ax.set_title(f"{model}: best feasible {objective} so far", fontsize="medium")
    return fig


def plot_comparison(comparison: Any, ax: Any = None) -> Any:
    """One bar per dataflow: the objective of its best design under the comparison's common
    absolute budget, labelled with its ratio to the best (infeasible dataflows: an empty slot
    marked "infeasible").  The title states the budget."""
    fig, ax = _figure(ax, (5.6, 4.0))
    names = list(comparison.results)
    values = [r.objective_value if r.feasible else 0.0 for r in comparison.results.values()]
    best = comparison.best
    top = comparison.results[best].objective_value if best is not None else float("nan")
    colors = ["tab:green" if d == best else "tab:blue" for d in names]
    bars = ax.bar(names, values, color=colors)
    for bar, r in zip(bars, comparison.results.values(), strict=True):
        text = f"×{r.objective_value / top:.3f}" if r.feasible and best is not None else "infeasible"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    xytext=(0, 2), textcoords="offset points", fontsize="small")  # fmt: skip
    ax.set_ylim(0, 1.15 * max(values + [1.0]))
    ax.set_xlabel("dataflow")
    ax.set_ylabel(f"{comparison.objective} ({unit(comparison.objective)})")
    budget = ", ".join(f"{k} {v:.3g} {unit(k)}" for k, v in comparison.budgets.items())
    title = f"{comparison.model_name}, method {comparison.method}\nsame budget for every dataflow: {budget}"
    ax.set_title(title, fontsize="medium")
    ax.grid(axis="y", alpha=0.3)
    return fig
