"""NumPy reference implementation of the cost model.

Computes exactly what the C kernel (``csrc/cost_model.c``) computes, operation for operation: the
same closed forms (docs/cost-model.md), the same association order, the same checked 64-bit
integer arithmetic and the same status rules, so that the two backends agree bit for bit, including
on which points overflow.  It is the fallback when the compiled kernel is missing and the oracle
the kernel is tested against.

All functions here work on flat, already validated arrays; :func:`confuciux.evaluate` is the
user-facing entry point.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

from ..hardware import Hardware
from . import dataflows, schema
from .schema import BAD_INPUT, INVALID, OK, OVERFLOW

__all__ = ["INT_FIELDS", "evaluate_points", "area_power_points"]

# The integer results of the closed forms (the float outputs follow from them).
INT_FIELDS = tuple(name for name in schema.NAMES if name not in ("energy", "area", "power", "throughput"))

_I64 = np.int64
_Int: TypeAlias = np.ndarray | int  # an operand: an int64 array or a Python int


class _Checked:
    """Wrapping int64 arithmetic that remembers, per element, whether any step overflowed.

    With ``check=False`` it is plain NumPy arithmetic (no overflow detection): the "plain NumPy
    formulas" the benchmarks compare the kernel with."""

    def __init__(self, n: int, check: bool = True) -> None:
        self.overflow = np.zeros(n, dtype=bool)
        if not check:
            self.mul, self.add, self.sub = np.multiply, np.add, np.subtract  # type: ignore[method-assign, assignment]

    def mul(self, a: _Int, b: _Int) -> np.ndarray:
        a, b = np.broadcast_arrays(np.asarray(a, _I64), np.asarray(b, _I64))
        p: np.ndarray = a * b
        nz = a != 0
        # Exact test: without overflow the wrapped product divides back to b.
        self.overflow |= nz & ((p // np.where(nz, a, 1)) != b)
        return p

    def add(self, a: _Int, b: _Int) -> np.ndarray:
        a, b = np.broadcast_arrays(np.asarray(a, _I64), np.asarray(b, _I64))
        s: np.ndarray = a + b
        # Overflow iff both operands share a sign that the sum does not.
        self.overflow |= ((a ^ s) & (b ^ s)) < 0
        return s

    def sub(self, a: _Int, b: _Int) -> np.ndarray:
        a, b = np.broadcast_arrays(np.asarray(a, _I64), np.asarray(b, _I64))
        d: np.ndarray = a - b
        self.overflow |= ((a ^ b) & (a ^ d)) < 0
        return d

    def prod(self, *xs: _Int) -> np.ndarray:
        """Left-to-right product ``((x0*x1)*x2)*...`` — the C kernel associates the same way."""
        acc = np.asarray(xs[0], _I64)
        for x in xs[1:]:
            acc = self.mul(acc, x)
        return acc


def _cdiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ceiling of a/b for a >= 0, b > 0, without the overflow-prone a + b - 1."""
    q: np.ndarray = a // b + (a % b != 0)
    return q


def _where(cond: np.ndarray, a: _Int, b: _Int) -> np.ndarray:
    return np.where(cond, a, b).astype(_I64, copy=False)


def _dla(ck: _Checked, K, C, Y, X, R, S, P, k, OY, OX):
    nK, kh = _cdiv(K, k), np.minimum(k, K)
    nC, ch = _cdiv(C, P), np.minimum(C, P)
    RS = ck.mul(R, S)
    steps = ck.prod(nK, nC, OY, OX)
    runtime = ck.add(ck.mul(steps, ck.add(ck.mul(kh, RS), 1)), 1)
    l1 = ck.mul(ck.mul(2, RS), ck.add(1, ck.mul(2, k)))
    l2 = ck.add(ck.mul(ck.prod(2, ch, RS), ck.add(1, kh)), ck.mul(2, kh))
    nKC = ck.mul(nK, nC)
    rho = _where(OX > 1, R, 1)
    i_rd = ck.add(
        ck.add(ck.prod(ch, R, nKC, OY, OX - 1), ck.prod(ch, S, rho, nKC, OY - 1)),
        ck.mul(ck.mul(ch, RS), ck.add(ck.mul(nK, nC - 1), 1)),
    )
    w_rd = ck.prod(nKC, kh, ch, RS)
    o_wr = ck.prod(K, OY, OX, nC)
    macs = ck.prod(K, C, RS, OY, OX)
    valid = np.ones(K.shape, dtype=bool)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, valid


def _shi(ck: _Checked, K, C, Y, X, R, S, P, k, OY, OX):
    nK, kh = _cdiv(K, k), np.minimum(k, K)
    RS = ck.mul(R, S)
    nY, nX = _cdiv(OY, R), _cdiv(OX, P)
    y_full, x_full = OY >= R, OX >= P
    x_wide = P > X  # the whole input row fits one band
    valid = y_full == (x_full | x_wide)
    two_r1 = ck.sub(ck.mul(2, R), 1)
    band = ck.sub(ck.add(P, S), 1)  # input columns of one X band, b = P+S-1
    # runtime: an inner pass over a band shorter than R is a single step
    rows = _where(y_full, OY, 1)
    runtime = ck.add(ck.mul(ck.prod(nK, C, nX), ck.add(ck.prod(rows, kh, RS), nY)), 1)
    # first-step extents (input rows/cols, output rows/cols), incl. bands larger than the output
    yi = _where(y_full, two_r1, OY - 1)
    x0 = _where(x_full, band, _where(x_wide, X, X - P))
    yf = _where(y_full, R, OY - R)
    xf = _where(x_full, P, _where(x_wide, OX, OX - P))
    khRS = ck.mul(kh, RS)
    yixo = ck.mul(yi, x0)
    l2 = ck.mul(2, ck.add(ck.add(yixo, khRS), ck.prod(kh, yf, xf)))
    l1 = ck.mul(ck.mul(2, RS), ck.add(1, ck.mul(2, k)))
    # traffic
    yrem = OY % R
    yo = _where(
        y_full,
        ck.add(ck.mul(R, OY // R), _where(yrem != 0, ck.sub(ck.add(yrem, R), 1), 0)),
        OY - R,
    )
    xo = _where(x_full | x_wide, OX, OX - P)
    nKnY = ck.mul(nK, nY)
    i_rd = ck.add(
        ck.add(
            ck.mul(
                ck.prod(nK, C - 1, nY, yi),
                ck.add(x0, ck.mul(nX - 1, band)),
            ),
            ck.prod(nKnY, yi, nX - 1, _where(C > 1, band, P)),
        ),
        ck.add(ck.prod(nK, nY - 1, two_r1, x0), yixo),
    )
    w_rd = ck.mul(ck.prod(RS, nK, kh), ck.add(ck.prod(C - 1, nY, nX), 1))
    o_wr = ck.prod(K, C, yo, xo)
    macs = ck.prod(K, C, RS, yo, xo)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, valid


def _eye(ck: _Checked, K, C, Y, X, R, S, P, k, OY, OX):
    nK, kh = _cdiv(K, k), np.minimum(k, K)
    RS = ck.mul(R, S)
    nY, nX = _cdiv(OY, P), _cdiv(OX, S)
    y_full, x_full = OY >= P, OX >= S
    y_tall = P > Y  # the whole input column fits one band
    valid = (y_full | y_tall) == x_full
    khRS = ck.mul(kh, RS)
    # runtime: columns in bands of S output columns, both output dims spread over the P PEs
    w_edge = OX % S
    one_row = OY == 1
    steps_full = ck.add(_cdiv(S, P), ck.mul(S - 1, one_row & (S > P) & (S % P != 0)))
    steps_edge = ck.add(
        _cdiv(w_edge, P), ck.mul(S - 1, one_row & (w_edge > P) & (w_edge % P != 0))
    )
    per_full = ck.add(ck.mul(steps_full, khRS), 1)
    per_edge = _where(w_edge > 0, ck.add(ck.mul(steps_edge, khRS), 1), 0)
    bands = _where(x_full, ck.add(ck.mul(OX // S, per_full), per_edge), ck.add(khRS, 1))
    runtime = ck.add(ck.mul(ck.prod(C, nK, nY), bands), 1)
    # first-step extents
    yi = _where(y_full, ck.sub(ck.add(P, R), 1), _where(y_tall, Y, Y - P))
    two_s1 = ck.sub(ck.mul(2, S), 1)
    x0 = _where(x_full, two_s1, OX - 1)
    yf = _where(y_full, P, _where(y_tall, OY, OY - P))
    xf = _where(x_full, S, OX - S)
    l2 = ck.mul(2, ck.add(ck.add(ck.mul(yi, x0), khRS), ck.prod(kh, yf, xf)))
    l1 = ck.mul(ck.mul(2, RS), ck.add(1, ck.mul(2, k)))
    # traffic
    yrem = OY % P
    yo = _where(
        y_full,
        ck.add(ck.mul(P, OY // P), _where(yrem != 0, ck.sub(ck.add(yrem, R), 1), 0)),
        _where(y_tall, OY, OY - P),
    )
    xo = _where(x_full, OX, OX - S)
    i_rd = ck.mul(
        ck.mul(C, yi),
        ck.add(ck.add(x0, ck.prod(nK, nY - 1, x0)), ck.prod(nK, nY, nX - 1, S)),
    )
    w_rd = ck.prod(C, nK, khRS)
    o_wr = ck.prod(C, K, yo, xo)
    macs = ck.prod(C, K, RS, yo, xo)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, valid


def _dpt(ck: _Checked, K, C, Y, X, R, S, P, k, OY, OX):
    RS = ck.mul(R, S)
    kP = ck.mul(k, P)
    # runtime: n spatial steps of k channels per PE, the last one with rho channels
    n = _cdiv(C, kP)
    rho = ck.sub(C, ck.mul(n - 1, kP))
    c_last = _where(
        rho < k, rho, _where((n > 1) & (rho > k) & (rho - k < k) & (rho % k != 0), rho % k, k)
    )
    runtime = ck.add(ck.mul(ck.prod(OY, OX, RS), ck.add(ck.mul(n - 1, k), c_last)), 1)
    l1 = ck.mul(ck.mul(6, k), RS)
    cp = np.minimum(C, kP)
    under = (k < C) & (C < kP) & (C % k == 0)  # last PE of an under-filled array loses its output
    l2 = ck.mul(2, ck.add(ck.prod(2, cp, RS), _where(under, cp - k, cp)))
    # channel counts fetched (c_T), multiplied (m_C) and written (e_C) per pixel
    more = C > kP
    rem = C % kP
    lost = more & (rem > k) & (rem % k != 0)
    pad = _where(more & (rem > 0) & (rem < k), k - rem, 0)
    klost = _where(lost, k, 0)
    c_t = ck.sub(ck.add(C, pad), klost)
    m_c = ck.sub(C, klost)
    e_c = ck.sub(m_c, _where(under, k, 0))
    i_rd = _where(
        OX > 1,
        ck.prod(c_t, R, OY, ck.sub(ck.add(S, OX), 1)),
        ck.prod(c_t, S, Y),
    )
    w_rd = ck.mul(c_t, RS)
    o_wr = ck.prod(OY, OX, e_c)
    macs = ck.prod(OY, OX, RS, m_c)
    valid = np.ones(K.shape, dtype=bool)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, valid


# One function per dataflow of the table (confuciux/cost/dataflows.py).
_FORMULAS = {"dla": _dla, "shi": _shi, "eye": _eye, "dpt": _dpt}
if set(_FORMULAS) != set(dataflows.BY_NAME):
    raise ImportError(f"reference formulas {sorted(_FORMULAS)} != dataflow table {sorted(dataflows.BY_NAME)}")


def evaluate_points(
    dims: np.ndarray,
    depthwise: np.ndarray,
    pes: np.ndarray,
    ktile: np.ndarray,
    dataflow: str,
    hardware: Hardware,
    *,
    check_overflow: bool = True,
) -> dict[str, np.ndarray]:
    """Cost of n points (layer, P, k).

    ``dims``: int64 (n, 6) columns K, C, Y, X, R, S; ``depthwise``: bool (n,); ``pes``, ``ktile``:
    int64 (n,).  CONV rows use ``dataflow`` (dla/shi/eye), depthwise rows ``dpt``.

    Returns a float64 array for each output of :data:`schema.NAMES` (units there; NaN where
    status != 0), ``status`` (uint8, :data:`schema.STATUS`) and ``valid`` (bool, status == 0).
    A point whose energy, area or power is not a finite float64 has status 2 (overflow), as in
    the C kernel.
    ``check_overflow=False`` skips overflow detection (for benchmarks only: results of points
    that overflow are then wrong).
    """
    dims = np.asarray(dims, dtype=_I64).reshape(-1, 6)
    n = dims.shape[0]
    K, C, Y, X, R, S = (np.ascontiguousarray(dims[:, j]) for j in range(6))
    P = np.asarray(pes, dtype=_I64).reshape(n)
    k = np.asarray(ktile, dtype=_I64).reshape(n)
    dw = np.asarray(depthwise, dtype=bool).reshape(n)
    conv_fn = _FORMULAS[dataflows.lookup(dataflow).name]

    bad = (K < 1) | (C < 1) | (R < 1) | (S < 1) | (Y < R) | (X < S) | (P < 1) | (k < 1)
    # Bad rows are computed on harmless stand-in values and then discarded.
    one = np.ones(n, dtype=_I64)
    K, C, Y, X, R, S, P, k = (np.where(bad, one, v) for v in (K, C, Y, X, R, S, P, k))
    OY, OX = Y - R + 1, X - S + 1

    with np.errstate(all="ignore"):
        out = {f: np.zeros(n, dtype=_I64) for f in INT_FIELDS}
        status = np.full(n, OK, dtype=np.uint8)
        for fn, rows in ((conv_fn, ~dw), (_FORMULAS[dataflows.DEPTHWISE.name], dw)):
            idx = np.flatnonzero(rows)
            if idx.size == 0:
                continue
            ck = _Checked(idx.size, check_overflow)
            args = [v[idx] for v in (K, C, Y, X, R, S, P, k, OY, OX)]
            runtime, l1, l2, i_rd, w_rd, o_wr, macs, valid = fn(ck, *args)
            Kd, Cd, Yd, Xd, Rd, Sd = args[:6]
            i_wr = ck.prod(Cd, Yd, Xd)
            if fn is _dpt:
                w_wr = ck.prod(Cd, Rd, Sd)
                o_rd = ck.prod(Cd, args[8], args[9])
            else:
                w_wr = ck.prod(Kd, Cd, Rd, Sd)
                o_rd = ck.prod(Kd, args[8], args[9])
            values = {
                "runtime": runtime, "l1_bytes": l1, "l2_bytes": l2, "macs": macs,
                "input_l1_read": macs, "input_l1_write": i_rd,
                "input_l2_read": i_rd, "input_l2_write": i_wr,
                "filter_l1_read": macs, "filter_l1_write": w_rd,
                "filter_l2_read": w_rd, "filter_l2_write": w_wr,
                "output_l1_read": macs, "output_l1_write": macs,
                "output_l2_read": o_rd, "output_l2_write": o_wr,
            }  # fmt: skip
            st = np.where(~valid, INVALID, np.where(ck.overflow, OVERFLOW, OK))
            for f in INT_FIELDS:
                out[f][idx] = np.where(st == OK, values[f], 0)
            status[idx] = st
        status[bad] = BAD_INPUT
        for f in INT_FIELDS:
            out[f][bad] = 0

        return _float_outputs(out, status, dw, P, hardware)


def _float_outputs(
    ints: dict[str, np.ndarray], status: np.ndarray, dw: np.ndarray, P: np.ndarray, hardware: Hardware
) -> dict[str, np.ndarray]:
    """The schema's float64 outputs from the integer results, NaN where status != OK; a point
    whose energy, area or power is not finite becomes OVERFLOW (as in the kernel)."""
    energy = _energy(ints, dw, hardware)
    area, power = area_power_points(P, ints["l1_bytes"], ints["l2_bytes"], hardware)
    status = np.where(
        (status == OK) & ~(np.isfinite(energy) & np.isfinite(area) & np.isfinite(power)), OVERFLOW, status
    ).astype(schema.STATUS_DTYPE)
    ok = status == OK
    values = {name: a.astype(schema.DTYPE) for name, a in ints.items()}
    values["energy"], values["area"], values["power"] = energy, area, power
    values["throughput"] = values["macs"] / values["runtime"]
    nan = np.float64(np.nan)
    out: dict[str, np.ndarray] = {name: np.where(ok, values[name], nan) for name in schema.NAMES}
    out["status"], out["valid"] = status, ok
    return out


def _energy(c: dict[str, np.ndarray], depthwise: np.ndarray, hw: Hardware) -> np.ndarray:
    """Energy in nJ from the access counts; summed in the C kernel's order."""
    f = {name: c[name].astype(np.float64) for name in INT_FIELDS}
    l2 = (
        f["input_l2_read"] + f["input_l2_write"] + f["filter_l2_read"] + f["filter_l2_write"]
        + f["output_l2_write"]
    )  # fmt: skip
    l1 = (
        f["input_l1_read"] + f["input_l1_write"] + f["filter_l1_read"] + f["filter_l1_write"]
        + f["output_l1_read"] + f["output_l1_write"]
    )  # fmt: skip
    if hw.maestro_energy:
        # MAESTRO: no MAC energy, no output L2 reads, L1 energy only for single-level dpt.
        return hw.l2_energy * l2 + np.where(depthwise, hw.l1_energy * l1, 0.0)
    l2 = l2 + f["output_l2_read"]
    return hw.mac_energy * f["macs"] + hw.l1_energy * l1 + hw.l2_energy * l2


def area_power_points(
    pes: np.ndarray, l1_bytes: np.ndarray, l2_bytes: np.ndarray, hw: Hardware
) -> tuple[np.ndarray, np.ndarray]:
    """Area (µm²) and power (mW) of one accelerator with ``pes`` PEs, ``l1_bytes`` of L1 per PE
    and ``l2_bytes`` of L2; same formula and order as the C kernel, NaN where not finite."""
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range results become NaN below
        p = np.asarray(pes, dtype=np.float64)
        l1 = np.asarray(l1_bytes, dtype=np.float64)
        l2 = np.asarray(l2_bytes, dtype=np.float64)
        bw = hw.noc_bandwidth + hw.noc_bandwidth_per_pe * p
        a2, a1, a0 = hw.arbiter_poly
        q = (a2 * p + a1) * p + a0
        area = (
            p * (hw.mac_area + hw.l1_area * l1)
            + hw.l2_area * l2
            + (hw.bus_area_per_port * p + hw.bus_area_base) * bw
            + hw.arbiter_area * np.maximum(hw.arbiter_area_floor, q)
        )
        power = (
            p * (hw.mac_power + hw.l1_power * l1)
            + hw.l2_power * l2
            + (hw.bus_power_per_port * p + hw.bus_power_base) * bw
            + hw.arbiter_power * np.maximum(hw.arbiter_power_floor, q)
        )
    # as the kernel: a point whose area or power is not a finite float64 gets NaN in both
    finite = np.isfinite(area) & np.isfinite(power)
    return np.where(finite, area, np.nan), np.where(finite, power, np.nan)
