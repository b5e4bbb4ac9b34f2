"""Thin binding to the compiled per-search loops over genome rows (csrc/polish.c): the seeds'
loops toward the L2 cap (:mod:`.seeds`), the rows' programs as directive arrays
(:meth:`FreeEncoding.directive_arrays`) and random rows from their draws
(:meth:`FreeEncoding.random`), one C call a batch.

The NumPy code stays the reference; the C results equal it bit for bit (tests/test_mapping_seeds.py,
tests/test_mapping_genome.py).  ``AVAILABLE`` is False when the extension was not built (or
built without csrc/polish.c); the callers then use the reference.  The layer's and the space's
structs are :mod:`.native`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import native

try:
    from .._cost_model import lib  # type: ignore[import-not-found, unused-ignore]

    AVAILABLE = native.AVAILABLE and hasattr(lib, "cxp_fit_l2")
except ImportError:  # built without a C compiler, or run from a source tree
    lib = None
    AVAILABLE = False

__all__ = ["AVAILABLE", "usable", "fit_l2", "fill_l2", "directives", "random_rows"]


def usable(enc: Any) -> bool:
    """Whether the compiled loops serve this encoding (a free one, within the C limits)."""
    return AVAILABLE and native.usable(enc)


def _rows(enc: Any, rows: np.ndarray) -> np.ndarray:
    """``rows`` as a new C-ordered int64 (n, width) array (the loops change it in place)."""
    return np.array(rows, dtype=np.int64, order="C").reshape(-1, enc.width)


def fit_l2(enc: Any, rows: np.ndarray, pes: int, cap: float) -> np.ndarray:
    """:func:`.seeds._fit_l2` (its reference ``_fit_l2_reference``): a new array."""
    g = _rows(enc, rows)
    space, divs = native._space(enc)
    code = lib.cxp_fit_l2(native._layer(enc), space, native._ptr("long long *", divs), divs.shape[1], int(pes),
                          float(cap), g.shape[0], native._ptr("long long *", g))  # fmt: skip
    native._fail("seeds' L2 fit", int(code), g.shape[0])
    return g


def fill_l2(enc: Any, rows: np.ndarray, pes: np.ndarray, axis: np.ndarray, live: np.ndarray, cap: float,
            l1_cap: float | None, steps: int) -> np.ndarray:  # fmt: skip
    """:func:`.seeds.fill_l2`'s steps (its reference ``_fill_steps_reference``) on each row on
    ``pes`` (one a row) growing its top tile of ``axis`` where ``live``: a new array."""
    g = _rows(enc, rows)
    n = g.shape[0]
    p, a = (np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=np.int64), (n,))) for x in (pes, axis))
    alive = np.ascontiguousarray(np.broadcast_to(np.asarray(live, dtype=np.int64), (n,)))
    space, divs = native._space(enc)
    code = lib.cxp_fill_l2(native._layer(enc), space, native._ptr("long long *", divs), divs.shape[1],
                           native._ptr("long long *", p), native._ptr("long long *", a),
                           native._ptr("long long *", alive), float(cap), l1_cap is not None,
                           0.0 if l1_cap is None else float(l1_cap), int(steps), n,
                           native._ptr("long long *", g))  # fmt: skip
    native._fail("seeds' L2 fill", int(code), n)
    return g


def directives(enc: Any, rows: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:meth:`FreeEncoding.directive_arrays` (its reference ``directive_arrays_reference``)."""
    g = np.ascontiguousarray(rows, dtype=np.int64).reshape(-1, enc.width)
    n = g.shape[0]
    cap = n * enc.L * (enc.D + 1)
    first = np.empty(n + 1, dtype=np.int64)
    out = {k: np.empty(cap, dtype=np.int64) for k in ("kind", "axis", "size", "whole")}
    ptrs = [native._ptr("long long *", a) for a in (g, first, *out.values())]
    code = lib.cxp_directives(native._layer(enc), native._space(enc)[0], n, *ptrs)
    native._fail("mapping directives", int(code), n)
    m = int(first[n])
    return first, {k: v[:m] for k, v in out.items()}


def random_rows(enc: Any, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:meth:`FreeEncoding.random`'s rows (its reference ``_random_from``) from ``rows`` with
    their levels and parallel axes set and every level's uniforms ``u`` (concatenated): a new
    array."""
    g = _rows(enc, rows)
    w = np.ascontiguousarray(u, dtype=np.float64)
    space, divs = native._space(enc)
    code = lib.cxp_random(native._layer(enc), space, native._ptr("long long *", divs), divs.shape[1], g.shape[0],
                          native._ptr("long long *", g), native._ptr("double *", w), w.size)  # fmt: skip
    native._fail("mapping random rows", int(code), g.shape[0])
    return g
