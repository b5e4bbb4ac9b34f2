"""Resource usage and feasibility: the one place that totals per-layer resources and compares
them with budgets (docs/problem.md, "Deployments and budgets").

* ``"LP"`` (layer-pipelined): a design's use of a resource is the sum over its layers.
* ``"LS"`` (layer-sequential): one accelerator sized for the largest need, P = max P_i,
  L1 = max L1_i, L2 = max L2_i; its area and power are :func:`confuciux.area_power` of those.

Summation policy: an LP total is :func:`lp_total`, the sequential IEEE-double sum over layers in
the model's order, ``(((x_0 + x_1) + x_2) + …)``.  Solvers that build totals layer by layer in
that order (the exact solver's dynamic programs) reproduce it bit for bit; every other shortcut
(differences of totals, bounds on the remaining layers) is used only to prune, with a tolerance,
and the final decision is made here.  Integer resources (PEs, bytes) are exact in any order.

Feasibility: ``usage <= budget`` for every budget, without tolerance, and a design whose usage is
NaN (an invalid layer) fits nothing.  Hence a budget equal to a design's own usage admits it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .hardware import Hardware

__all__ = ["BUDGET_KEYS", "DEPLOYMENTS", "Budgets", "lp_total"]

#: Resources a budget may cap: area (µm²), power (mW), pes (PEs), l1_bytes and l2_bytes (bytes).
BUDGET_KEYS = ("area", "power", "pes", "l1_bytes", "l2_bytes")
DEPLOYMENTS = ("LP", "LS")
#: Per-layer quantities the LS accelerator is sized from.
LS_SIZING = ("pes", "l1_bytes", "l2_bytes")


def lp_total(per_layer: ArrayLike) -> np.ndarray:
    """The layer-pipelined total of per-layer values (..., N) over the last axis: the sequential
    sum in layer order (see the module docstring).  Shape (...); 0 for N = 0."""
    a = np.asarray(per_layer, dtype=np.float64)
    if a.shape[-1] == 0:
        return np.zeros(a.shape[:-1])
    return np.asarray(np.add.accumulate(a, axis=-1)[..., -1])


@dataclass(frozen=True)
class Budgets:
    """Budgets (``limits``: resource → limit, units as in :data:`BUDGET_KEYS`) of a deployment;
    computes usage and decides feasibility for every method."""

    limits: Mapping[str, float] = field(default_factory=dict)
    deployment: str = "LP"
    hardware: Hardware = field(default_factory=Hardware.default)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.limits)

    def needs(self, keys: Iterable[str] | None = None) -> tuple[str, ...]:
        """Per-layer quantities :meth:`usage` reads to compute ``keys`` (default: the budgeted)."""
        keys = self.keys if keys is None else tuple(keys)
        if self.deployment == "LP":
            return keys
        return LS_SIZING if keys else ()

    def usage(self, per_layer: Mapping[str, np.ndarray], keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Usage of ``keys`` (default: the budgeted resources) by designs whose per-layer
        quantities (arrays (..., N), NaN where a layer is invalid) are ``per_layer``: LP sums
        (:func:`lp_total`) or the LS accelerator's size.  Arrays of shape (...)."""
        keys = self.keys if keys is None else tuple(keys)
        if self.deployment == "LP":
            return {k: lp_total(per_layer[k]) for k in keys}
        if not keys:
            return {}
        p, l1, l2 = (np.max(np.asarray(per_layer[k], dtype=np.float64), axis=-1) for k in LS_SIZING)
        out = {"pes": p, "l1_bytes": l1, "l2_bytes": l2}
        if "area" in keys or "power" in keys:
            out["area"], out["power"] = self.accelerator(p, l1, l2)
        return {k: np.asarray(out[k]) for k in keys}

    def accelerator(self, pes: ArrayLike, l1_bytes: ArrayLike, l2_bytes: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Area (µm²) and power (mW) of one accelerator of ``pes`` PEs, ``l1_bytes`` per PE and
        ``l2_bytes`` of L2 (arrays; NaN where an argument is not finite)."""
        from .cost import area_power

        p, l1, l2 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (pes, l1_bytes, l2_bytes)))
        ok = np.isfinite(p) & np.isfinite(l1) & np.isfinite(l2)
        area, power = np.full(p.shape, np.nan), np.full(p.shape, np.nan)
        if np.any(ok):
            a, w = area_power(p[ok].astype(np.int64), l1[ok].astype(np.int64), l2[ok].astype(np.int64), self.hardware)
            area[ok], power[ok] = a, w
        return area, power

    def fits(self, usage: Mapping[str, np.ndarray]) -> np.ndarray:
        """Whether each design is within every budget (``usage <= limit``; NaN fits nothing)."""
        out: np.ndarray | None = None
        for key, limit in self.limits.items():
            ok = np.asarray(usage[key]) <= limit
            out = ok if out is None else out & ok
        if out is None:
            shapes = [np.shape(u) for u in usage.values()]
            return np.ones(shapes[0] if shapes else (), dtype=bool)
        return out

    def overuse(self, usage: Mapping[str, np.ndarray]) -> np.ndarray:
        """Largest relative excess over a budget, ``max_b usage_b / limit_b − 1``: 0 exactly for
        designs that :meth:`fits` admits, > 0 otherwise (inf for NaN usage)."""
        out: np.ndarray | None = None
        for key, limit in self.limits.items():
            u = np.asarray(usage[key], dtype=np.float64)
            with np.errstate(invalid="ignore"):
                excess = np.where(u <= limit, 0.0, np.nan_to_num(np.maximum(u / limit - 1.0, 2.0**-52), nan=np.inf))
            out = excess if out is None else np.maximum(out, excess)
        if out is None:
            shapes = [np.shape(u) for u in usage.values()]
            return np.zeros(shapes[0] if shapes else ())
        return out

    def check(self, per_layer: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """(usage of the budgeted resources, fits, overuse) of designs, from per-layer
        quantities; the budget part of :meth:`confuciux.search.problem.Problem.score`."""
        usage = self.usage(per_layer)
        if not usage:
            shape = np.shape(next(iter(per_layer.values())))[:-1] if per_layer else ()
            return usage, np.ones(shape, dtype=bool), np.zeros(shape)
        return usage, self.fits(usage), self.overuse(usage)
