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
from ..workload import LAYER_COLUMNS
from . import dataflows, schema
from .schema import BAD_INPUT, IMPOSSIBLE, INVALID, OK, OVERFLOW, PRINTED

__all__ = ["INT_FIELDS", "evaluate_points", "area_power_points", "energy_points", "mac_per_pe"]

# The integer results of the closed forms (the float outputs follow from them).
INT_FIELDS = tuple(name for name in schema.COUNTS if name in schema.CLOSED_FORM)

_I64 = np.int64
_Int: TypeAlias = np.ndarray | int  # an operand: an int64 array or a Python int
_A: TypeAlias = np.ndarray
# runtime, l1, l2, input/filter L2 reads, output L2 writes, MACs, output L1 counts, validity
_Traffic: TypeAlias = tuple[_A, _A, _A, _A, _A, _A, _A, _A, _A]


class _Checked:
    """Wrapping int64 arithmetic that remembers, per element, whether any step overflowed.

    With ``check=False`` it is plain NumPy arithmetic (no overflow detection): the "plain NumPy
    formulas" the benchmarks compare the kernel with."""

    def __init__(self, n: int, check: bool = True) -> None:
        self.overflow = np.zeros(n, dtype=bool)
        self.check = check
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


class _Ext:
    """Per-point quantities beyond the stride-1 ConfuciuX setting: batch N, groups G (K, C are
    then per group), strides and the edge steps of the strided Y/X windows (docs/cost-model.md,
    "Strides, batch, groups")."""

    def __init__(
        self, ck: _Checked, N: _A, G: _A, ng: _A, sy: _A, sx: _A, Y: _A, X: _A, R: _A, S: _A
    ) -> None:
        self.N, self.G, self.ng, self.sy, self.sx = N, G, ng, sy, sx
        self.NG = ck.mul(N, G)
        # window positions: OY full steps, then an edge step when (Y-R) % sy != 0 whose output
        # extent is r - s + 1 <= 0, or Y - R + 1 when MAESTRO's edge tile is negative ("big")
        ry, rx = (Y - R) % sy, (X - S) % sx
        self.hy, self.hx = ry != 0, rx != 0
        self.big_y = self.hy & (R + ry < sy)
        self.big_x = self.hx & (S + rx < sx)
        self.ey = _where(self.big_y, Y - R + 1, ry - sy + 1)
        self.ex = _where(self.big_x, X - S + 1, rx - sx + 1)


def _grid(ck: _Checked, e: _Ext, OY: _A, OX: _A) -> tuple[_A, _A, _A, _A, _A]:
    """Sums over the (Y step, X step) cases: MAC-weighted steps, steps with clamped extents,
    output extents, rows entered at the first X position and X steps after it."""
    py = e.hy & (e.ey > 0)  # an edge row with positive extent takes part like a full row
    px = e.hx & (e.ex > 0)
    both = e.hy & e.hx & ((e.ey > 0) == (e.ex > 0)) & (e.ey != 0) & (e.ex != 0)
    base = ck.mul(OY, OX)
    side = ck.add(ck.mul(_where(px, OY, 0), e.ex), ck.mul(_where(py, OX, 0), e.ey))
    macs = ck.add(ck.add(base, side), ck.mul(_where(both, e.ey, 0), e.ex))
    clamped = ck.add(ck.add(base, side), _where(both, ck.mul(np.maximum(e.ey, 1), np.maximum(e.ex, 1)), 0))
    out = ck.mul(ck.add(OY, _where(e.hy, e.ey, 0)), ck.add(OX, _where(e.hx, e.ex, 0)))
    rows = ck.add(OY, py)
    per_row = ck.add(OX - 1, px)
    edge_row = _where(e.ey > 0, per_row, _where((e.ey < 0) & e.hx & (e.ex < 0), 1, 0))
    xsteps = ck.add(ck.mul(OY, per_row), _where(e.hy, edge_row, 0))
    return macs, clamped, out, rows, xsteps


def _dla(
    ck: _Checked, e: _Ext, K: _A, C: _A, Y: _A, X: _A, R: _A, S: _A, P: _A, k: _A, OY: _A, OX: _A
) -> _Traffic:
    nK, kh = _cdiv(K, k), np.minimum(k, K)
    nC, ch = _cdiv(C, P), np.minimum(C, P)
    RS = ck.mul(R, S)
    g_macs, g_steps, g_out, rows, xsteps = _grid(ck, e, OY, OX)
    steps = ck.prod(nK, nC, g_steps)
    runtime = ck.add(ck.mul(steps, ck.add(ck.prod(e.NG, kh, RS), 1)), 1)
    l1 = ck.prod(2, RS, e.G, ck.add(ck.add(e.N, k), ck.mul(e.N, k)))
    out_c = _where(e.ng, ch, 1)
    l2 = ck.prod(
        2, e.G, ck.add(ck.add(ck.prod(e.N, ch, RS), ck.prod(kh, ch, RS)), ck.prod(e.N, kh, out_c))
    )
    nKC = ck.mul(nK, nC)
    rho = _where(X > S, R, np.minimum(R, e.sy))
    i_rd = ck.mul(
        e.NG,
        ck.add(
            ck.add(ck.prod(ch, R, np.minimum(S, e.sx), nKC, xsteps), ck.prod(ch, S, rho, nKC, rows - 1)),
            ck.mul(ck.mul(ch, RS), ck.add(ck.mul(nK, nC - 1), 1)),
        ),
    )
    w_rd = ck.prod(e.G, nKC, kh, ch, RS)
    o_wr = ck.prod(e.NG, K, g_out, _where(e.ng, C, nC))
    macs = ck.prod(e.NG, K, C, RS, g_macs)
    o_l1 = ck.prod(e.NG, K, C, RS, g_out)
    valid = ~(e.big_y | e.big_x)  # MAESTRO refuses these layers (exit code 255)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, o_l1, valid


def _shi(
    ck: _Checked, e: _Ext, K: _A, C: _A, Y: _A, X: _A, R: _A, S: _A, P: _A, k: _A, OY: _A, OX: _A
) -> _Traffic:
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
    runtime = ck.add(ck.mul(ck.prod(nK, C, nX), ck.add(ck.prod(rows, kh, RS, e.NG), nY)), 1)
    # first-step extents (input rows/cols, output rows/cols), incl. bands larger than the output
    yi = _where(y_full, two_r1, OY - 1)
    x0 = _where(x_full, band, _where(x_wide, X, X - P))
    yf = _where(y_full, R, OY - R)
    xf = _where(x_full, P, _where(x_wide, OX, OX - P))
    khRS = ck.mul(kh, RS)
    yixo = ck.mul(yi, x0)
    l2 = ck.mul(2, ck.add(ck.add(ck.mul(e.NG, yixo), ck.mul(e.G, khRS)), ck.prod(e.NG, kh, yf, xf)))
    l1 = ck.prod(2, RS, e.G, ck.add(ck.add(e.N, k), ck.mul(e.N, k)))
    # traffic
    yrem = OY % R
    yo = _where(
        y_full,
        ck.add(ck.mul(R, OY // R), _where(yrem != 0, ck.sub(ck.add(yrem, R), 1), 0)),
        OY - R,
    )
    xo = _where(x_full | x_wide, OX, OX - P)
    nKnY = ck.mul(nK, nY)
    i_rd = ck.mul(
        e.NG,
        ck.add(
            ck.add(
                ck.mul(
                    ck.prod(nK, C - 1, nY, yi),
                    ck.add(x0, ck.mul(nX - 1, band)),
                ),
                ck.prod(nKnY, yi, nX - 1, _where(C > 1, band, P)),
            ),
            ck.add(ck.prod(nK, nY - 1, two_r1, x0), yixo),
        ),
    )
    w_rd = ck.prod(e.G, ck.prod(RS, nK, kh), ck.add(ck.prod(C - 1, nY, nX), 1))
    o_wr = ck.prod(e.NG, K, C, yo, xo)
    macs = ck.prod(e.NG, K, C, RS, yo, xo)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, macs, valid


def _eye(
    ck: _Checked, e: _Ext, K: _A, C: _A, Y: _A, X: _A, R: _A, S: _A, P: _A, k: _A, OY: _A, OX: _A
) -> _Traffic:
    nK, kh = _cdiv(K, k), np.minimum(k, K)
    RS = ck.mul(R, S)
    nY, nX = _cdiv(OY, P), _cdiv(OX, S)
    y_full, x_full = OY >= P, OX >= S
    y_tall = P > Y  # the whole input column fits one band
    valid = (y_full | y_tall) == x_full
    khRS = ck.mul(kh, RS)
    work = ck.mul(khRS, e.NG)  # MACs per PE and inner step
    # runtime: columns in bands of S output columns, both output dims spread over the P PEs
    w_edge = OX % S
    one_row = OY == 1
    steps_full = ck.add(_cdiv(S, P), ck.mul(S - 1, one_row & (S > P) & (S % P != 0)))
    steps_edge = ck.add(
        _cdiv(w_edge, P), ck.mul(S - 1, one_row & (w_edge > P) & (w_edge % P != 0))
    )
    per_full = ck.add(ck.mul(steps_full, work), 1)
    per_edge = _where(w_edge > 0, ck.add(ck.mul(steps_edge, work), 1), 0)
    bands = _where(x_full, ck.add(ck.mul(OX // S, per_full), per_edge), ck.add(work, 1))
    runtime = ck.add(ck.mul(ck.prod(C, nK, nY), bands), 1)
    # first-step extents
    yi = _where(y_full, ck.sub(ck.add(P, R), 1), _where(y_tall, Y, Y - P))
    two_s1 = ck.sub(ck.mul(2, S), 1)
    x0 = _where(x_full, two_s1, OX - 1)
    yf = _where(y_full, P, _where(y_tall, OY, OY - P))
    xf = _where(x_full, S, OX - S)
    l2 = ck.mul(2, ck.add(ck.add(ck.prod(e.NG, yi, x0), ck.mul(e.G, khRS)), ck.prod(e.NG, kh, yf, xf)))
    l1 = ck.prod(2, RS, e.G, ck.add(ck.add(e.N, k), ck.mul(e.N, k)))
    # traffic
    yrem = OY % P
    yo = _where(
        y_full,
        ck.add(ck.mul(P, OY // P), _where(yrem != 0, ck.sub(ck.add(yrem, R), 1), 0)),
        _where(y_tall, OY, OY - P),
    )
    xo = _where(x_full, OX, OX - S)
    i_rd = ck.prod(
        e.NG,
        ck.mul(C, yi),
        ck.add(ck.add(x0, ck.prod(nK, nY - 1, x0)), ck.prod(nK, nY, nX - 1, S)),
    )
    w_rd = ck.prod(e.G, C, nK, khRS)
    o_wr = ck.prod(e.NG, C, K, yo, xo)
    macs = ck.prod(e.NG, C, K, RS, yo, xo)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, macs, valid


def _dpt(
    ck: _Checked, e: _Ext, K: _A, C: _A, Y: _A, X: _A, R: _A, S: _A, P: _A, k: _A, OY: _A, OX: _A
) -> _Traffic:
    RS = ck.mul(R, S)
    kP = ck.mul(k, P)
    g_macs, _, g_out, rows, xsteps = _grid(ck, e, OY, OX)
    # runtime: n spatial steps of k channels per PE, the last one with rho channels
    n = _cdiv(C, kP)
    rho = ck.sub(C, ck.mul(n - 1, kP))
    c_last = _where(
        rho < k, rho, _where((n > 1) & (rho > k) & (rho - k < k) & (rho % k != 0), rho % k, k)
    )
    runtime = ck.add(ck.mul(ck.prod(g_macs, RS, e.N), ck.add(ck.mul(n - 1, k), c_last)), 1)
    l1 = ck.prod(2, k, RS, ck.add(ck.mul(2, e.N), 1))
    cp = np.minimum(C, kP)
    under = (k < C) & (C < kP) & (C % k == 0)  # last PE of an under-filled array loses its output
    l2 = ck.mul(2, ck.add(ck.add(ck.prod(e.N, cp, RS), ck.mul(cp, RS)), ck.mul(e.N, _where(under, cp - k, cp))))
    # channel counts fetched (c_T), multiplied (m_C) and written (e_C) per pixel
    more = C > kP
    rem = C % kP
    lost = more & (rem > k) & (rem % k != 0)
    pad = _where(more & (rem > 0) & (rem < k), k - rem, 0)
    klost = _where(lost, k, 0)
    c_t = ck.sub(ck.add(C, pad), klost)
    m_c = ck.sub(C, klost)
    e_c = ck.sub(m_c, _where(under, k, 0))
    rho_y = _where(X > S, R, np.minimum(R, e.sy))  # input rows a new output row brings
    i_rd = ck.prod(
        e.N,
        c_t,
        ck.add(
            ck.add(RS, ck.prod(rows - 1, S, rho_y)), ck.prod(xsteps, R, np.minimum(S, e.sx))
        ),
    )
    w_rd = ck.mul(c_t, RS)
    o_wr = ck.prod(e.N, g_out, e_c)
    macs = ck.prod(e.N, g_macs, RS, m_c)
    o_l1 = ck.prod(e.N, g_out, RS, m_c)
    valid = np.ones(K.shape, dtype=bool)
    return runtime, l1, l2, i_rd, w_rd, o_wr, macs, o_l1, valid


def _pos(t: np.ndarray, W: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Window positions (size W, step sp) over a tile of t elements, edge step included; 1 for a
    tile no larger than the window."""
    return _where(t <= W, 1, _cdiv(np.maximum(t - W, 0), sp) + 1)


def _rows(t: np.ndarray, W: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Temporal window positions over a tile of t elements: an edge step counts only when its
    output extent is not negative (MAESTRO skips it otherwise)."""
    d = np.maximum(t - W, 0)
    r = d % sp
    edge = (r != 0) & (r - sp + 1 >= 0)  # the edge step's output extent is r - sp + 1
    return _where(t <= W, 1, d // sp + 1 + edge)


class _Tiles:
    """A top-level band of u outputs (map ``m``, offset ``o`` after MAESTRO's
    ``ApplyOuterStride``) over a dimension of D elements: its Init, Steady and Edge states as
    counts ``c[i]`` and tile sizes ``t[i]`` (count 0: no such state); ``big``: the edge tile fell
    back to the whole dimension."""

    def __init__(self, ck: _Checked, D: np.ndarray, W: np.ndarray, s: np.ndarray, u: np.ndarray) -> None:
        self.m = ck.add(ck.mul(u, np.minimum(s, W)), np.maximum(W - s, 0))
        self.o = ck.mul(u, s)
        m, o = self.m, self.o
        over = m >= D  # a single (Init) state
        t0 = _where(m == D, D, _where(o <= D, D - o, D))
        ns = np.maximum(D - m, 0) // o
        covered = ck.add(ck.mul(ns, o), m)
        has_edge = ~over & (covered < D)
        e = D - ck.mul(ns + 1, o)
        self.big = has_edge & (e < 0)
        zero = np.zeros_like(D)
        self.c = [np.ones_like(D), _where(over, 0, ns), _where(has_edge, 1, 0)]
        self.t = [_where(over, t0, m), _where(over, zero, m), _where(has_edge, _where(e < 0, D, e), 0)]


def _banded(
    ck: _Checked, e: _Ext, K: _A, C: _A, Y: _A, X: _A, R: _A, S: _A, P: _A, k: _A, eye: bool
) -> tuple[_Traffic, np.ndarray]:
    """shi and eye with strides: sums over the (Y band, X band) states (docs/cost-model.md,
    "Strides").  Returns (the traffic tuple with the validity, the points whose band tiles
    overflow).  The tiles are computed first and decide validity, as in the C kernel: their
    overflow takes precedence."""
    nK, kh = _cdiv(K, k), np.minimum(k, K)
    sy, sx = e.sy, e.sx
    uy = ((P if eye else R) - 1) // sy + 1  # outputs per band: ceil(P/sy) (eye), ceil(R/sy) (shi)
    ux = ((S if eye else P) - 1) // sx + 1
    ck_t = _Checked(K.size, ck.check)
    ys, xs = _Tiles(ck_t, Y, R, sy, uy), _Tiles(ck_t, X, S, sx, ux)
    RS = ck.mul(R, S)
    syp, sxp = np.minimum(sy, R), np.minimum(sx, S)
    w = ck.prod(kh, RS, e.NG)
    one_row = (np.minimum(ys.m, Y) - R + 1) == 1
    act_y = [ys.c[i] > 0 for i in range(3)]
    act_y = [act_y[0]] + [act_y[i] & (ys.t[i] > 0) for i in (1, 2)]
    act_x = [xs.c[0] > 0] + [(xs.c[j] > 0) & (xs.t[j] >= S) for j in (1, 2)]
    # shi: a fallback X tile under a band of one output column takes S - 1 more spatial steps
    # per row when it needs more than one and its inner window ends in an edge step or its last
    # spatial step is partial (the one-row quirk of eye, on X)
    x_quirk, x_edge = xs.big & (ux == 1), (X - S) % sxp != 0
    x_over = xs.m >= X  # eye: a single X tile
    y_edge = (Y - R) % syp != 0
    total = np.zeros_like(K)
    for i in range(3):
        wy = _pos(ys.t[i], R, syp)
        for j in range(3):
            wx = _pos(xs.t[j], S, sxp)
            if eye:
                # the one-row quirk: S - 1 more steps when the X positions leave a partial last
                # step or end in an edge step (t - s_x - 1 for the single tile of a band wider than X)
                tj = xs.t[j]
                edge = (tj > S) & (np.maximum(tj - S, 0) % sxp != 0)
                quirk = one_row & (wx > P) & (edge | (wx % P != 0))
                extra = _where(edge & x_over, tj - sxp - 1, S - 1)
                ysteps = _cdiv(wy, P)
                if i == 2:  # the same on Y for a fallback Y tile (shi's X quirk, transposed)
                    y_quirk = ys.big & (uy == 1) & (wy > P) & (y_edge | (wy % P != 0))
                    ysteps = ck.add(ysteps, _where(y_quirk, R - 1, 0))
                steps = ck.mul(ysteps, ck.add(_cdiv(wx, P), _where(quirk, extra, 0)))
            else:
                # a band wider than Y (one Init tile) skips an inner edge step of negative extent
                rows = _where(ys.m > Y, _rows(ys.t[i], R, syp), wy)
                xsteps = _cdiv(wx, P)
                if j == 2:  # the one-column quirk of a fallback X tile (docs/cost-model.md)
                    quirk = x_quirk & (wx > P) & (x_edge | (wx % P != 0))
                    xsteps = ck.add(xsteps, _where(quirk, S - 1, 0))
                steps = ck.mul(rows, xsteps)
            cost = ck.mul(ck.mul(ys.c[i], xs.c[j]), ck.add(ck.mul(steps, w), 1))
            total = ck.add(total, _where(act_y[i] & act_x[j], cost, 0))
    runtime = ck.add(ck.prod(nK, C, total), 1)
    ty0, tx0 = ys.t[0], xs.t[0]
    yf, xf = ty0 - R + 1, tx0 - S + 1
    khRS = ck.mul(kh, RS)
    l2 = ck.mul(2, ck.add(ck.add(ck.prod(e.NG, ty0, tx0), ck.mul(e.G, khRS)), ck.prod(e.NG, kh, yf, xf)))
    l1 = ck.prod(2, RS, e.G, ck.add(ck.add(e.N, k), ck.mul(e.N, k)))
    nY = ck.add(ck.add(ys.c[0], _where(act_y[1], ys.c[1], 0)), _where(act_y[2], ys.c[2], 0))
    nX = ck.add(ck.add(xs.c[0], _where(act_x[1], xs.c[1], 0)), _where(act_x[2], xs.c[2], 0))
    newx = np.minimum(xs.m, xs.o)
    if eye:
        i_rd = ck.prod(
            e.NG, C, ty0, ck.add(ck.add(tx0, ck.prod(nK, nY - 1, tx0)), ck.prod(nK, nY, nX - 1, newx))
        )
        w_rd = ck.prod(e.G, C, nK, khRS)
    else:
        first = ck.prod(nK, C - 1, nY, ty0, ck.add(tx0, ck.mul(nX - 1, xs.m)))
        xstep = ck.prod(nK, nY, ty0, nX - 1, _where(C > 1, xs.m, newx))
        ystep = ck.prod(nK, nY - 1, ys.m, tx0)
        i_rd = ck.mul(e.NG, ck.add(ck.add(ck.add(first, xstep), ystep), ck.mul(ty0, tx0)))
        w_rd = ck.prod(e.G, RS, nK, kh, ck.add(ck.prod(C - 1, nY, nX), 1))
    # output rows credited per Y state (a spatial edge band: its input rows), columns per X state
    yo = np.zeros_like(K)
    for i in range(3):
        rows = _where(np.full(K.shape, i == 2), ys.t[i], ys.t[i] - R + 1)
        yo = ck.add(yo, _where(act_y[i], ck.mul(ys.c[i], rows), 0))
    xo, xo_all = np.zeros_like(K), np.zeros_like(K)
    for j in range(3):
        cols = ck.mul(xs.c[j], xs.t[j] - S + 1)
        xo = ck.add(xo, _where(act_x[j], cols, 0))
        xo_all = ck.add(xo_all, cols)
    o_wr = ck.prod(e.NG, K, C, yo, xo_all)
    macs = ck.prod(e.NG, K, C, RS, yo, xo)
    o_l1 = ck.prod(e.NG, K, C, RS, yo, xo_all)
    valid = ((yf > 0) == (xf > 0)) & (yf != 0) & (xf != 0)
    # A Y band wider than the output (yf < 0; an empty first tile has yf < 0 too, as it needs
    # R > 1; docs/cost-model.md "Bands wider than the output").  With the X band wider too the
    # forms give MAESTRO's costs, but it aborts (SIGFPE, invalid) when the inner window of the
    # first Y tile (shi) or, on a single output row (Y = R), of the first X tile (eye) ends in an
    # edge step.  With X fine MAESTRO prints costs (forms: _x_fine, any batch and groups) only
    # when the X edge tile has a negative output extent too (and, on shi, the Y window no edge
    # step); otherwise invalid.  No other regime is left: xf = 0 cannot happen (a first X tile is
    # the band, the whole row, or the row less one offset when the band overruns it, and that
    # one cannot end one short of the kernel).
    both = (yf < 0) & (xf < 0)
    y_edge0 = (ty0 - R) % syp != 0
    maybe = (xs.c[2] > 0) & (xs.t[2] - S + 1 < 0)
    if eye:
        valid &= ~(both & (Y == R) & ((tx0 - S) % sxp != 0))
        valid &= ~_eye_empty_first_step(ys, xs, R, S, X, P, e.sx)
    else:
        maybe &= ~y_edge0
        valid &= ~ys.big & ~(both & y_edge0)  # a fallback Y band: exit code 255
    fine = (yf < 0) & (xf > 0) & maybe
    if not eye:
        fine &= ~ys.big
    valid |= fine
    forms = _x_fine(ck, e, fine, eye, ys, xs, K, C, R, S, k)
    runtime, l2, i_rd, w_rd, macs = (
        _where(fine, v, old) for v, old in zip(forms, (runtime, l2, i_rd, w_rd, macs), strict=True)
    )
    return (runtime, l1, l2, i_rd, w_rd, o_wr, macs, o_l1, valid), ck_t.overflow


def _eye_empty_first_step(ys: _Tiles, xs: _Tiles, R: _A, S: _A, X: _A, P: _A, sx: _A) -> np.ndarray:
    """eye points MAESTRO dies on (SIGFPE): one output row in the first Y tile, a single X tile
    (the band covers the row and its offset runs past it) over one output column with a partial
    remainder, and P > 1.  The inner cluster then computes nothing in the first step, and MAESTRO
    divides by that step's zero compute delay (docs/cost-model.md, "Strides")."""
    one_col = (X - S) // sx == 0
    empty = (ys.t[0] - R + 1 == 1) & one_col & ((X - S) % sx != 0) & (xs.o > X) & (xs.m >= X) & (P > 1)
    return np.asarray(empty, dtype=bool)


def _x_fine(
    ck: _Checked, e: _Ext, fine: np.ndarray, eye: bool, ys: _Tiles, xs: _Tiles, K: _A, C: _A, R: _A, S: _A, k: _A
) -> tuple[_A, _A, _A, _A, _A]:
    """Runtime, L2, input and filter L2 reads and MACs of a Y band wider than the output over a
    fine X band that ends in an edge tile of negative output extent (docs/cost-model.md, "Bands
    wider than the output"); any batch N and groups G.  Rows outside ``fine`` are computed on
    stand-in values."""
    one = np.ones_like(K)
    K, C, R, S, k = (_where(fine, v, one) for v in (K, C, R, S, k))
    ty0, tx0, te = (_where(fine, v, 0) for v in (ys.t[0], xs.t[0], xs.t[2]))
    xo, n1 = _where(fine, xs.o, 1), _where(fine, xs.c[1] > 0, 0) + 1  # n1: X states after the first
    nK, kh = _cdiv(K, k), np.minimum(k, K)
    RS = ck.mul(R, S)
    khRS = ck.mul(kh, RS)
    yf, xe = ty0 - R + 1, te - S + 1
    newx = np.minimum(tx0, xo)
    NG, G = _where(fine, e.NG, 1), _where(fine, e.G, 1)
    runtime = ck.mul(ck.mul(nK, C), ck.add(ck.mul(khRS, NG), 1))
    macs = ck.prod(NG, K, C, RS, yf, xe)
    # L2 holds MAESTRO's first case: the input and filter it loads and the outputs of the edge
    # tile (of the last K tile when there are two)
    out = ck.prod(NG, _where(nK == 2, K - k, kh), yf, xe)
    if eye:
        i_rd = ck.prod(NG, nK, C, ty0, newx)
        w_rd = np.zeros_like(K)
        l2_in = ck.prod(NG, ty0, ck.add(tx0, ck.mul(n1, newx)))
        l2_w = ck.mul(G, khRS)
    else:
        i_rd = ck.prod(NG, nK, C, ty0, _where(C > 1, tx0, newx))
        w_rd = ck.prod(G, RS, nK, kh, C - 1)
        l2_in = ck.prod(NG, ty0, _where(C > 1, ck.prod(2, n1, tx0), ck.add(tx0, ck.mul(n1, newx))))
        l2_w = ck.prod(G, _where(C > 1, n1 + 1, 1), khRS)
    l2 = ck.mul(2, ck.add(ck.add(l2_in, l2_w), out))
    return runtime, l2, i_rd, w_rd, macs


def _bad_input(
    K: _A, C: _A, Y: _A, X: _A, R: _A, S: _A, N: _A, G: _A, sy: _A, sx: _A, P: _A, k: _A, dw: _A
) -> np.ndarray:
    """Points that are not a layer: a size < 1, Y < R, X < S, groups not dividing K and C, or
    groups on a depthwise layer."""
    bad = (K < 1) | (C < 1) | (R < 1) | (S < 1) | (Y < R) | (X < S) | (P < 1) | (k < 1)
    bad |= (N < 1) | (G < 1) | (sy < 1) | (sx < 1)
    g = np.maximum(G, 1)
    return np.asarray(bad | (K % g != 0) | (C % g != 0) | (dw & (G != 1)), dtype=bool)



def _saturated(*factors: _Int) -> np.ndarray:
    """The product of factors >= 1 saturated at the int64 maximum: min(true product, 2**63 - 1),
    whatever the order (the kernel's sat_mul)."""
    ck = _Checked(np.broadcast(*factors).size)
    p = ck.prod(*factors)
    return np.where(ck.overflow, np.iinfo(_I64).max, p).astype(_I64, copy=False)


def _needs(
    Kg: _A, Cg: _A, R: _A, S: _A, N: _A, G: _A, SY: _A, SX: _A, OY: _A, OX: _A, dw: _A
) -> tuple[_A, _A, _A, _A]:
    """What each layer really needs, saturated at the int64 maximum: MACs, input elements some
    window touches, weights, outputs (the operands of the physical bounds; the kernel's
    layer_needs).  ``Kg``, ``Cg``: per group."""
    channels = np.where(dw, Cg, G * Cg)  # (G * Cg is a layer's C: no overflow)
    filters = np.where(dw, Cg, G * Kg)
    per_filter = np.where(dw, 1, Cg)
    rows = (OY - 1) * np.minimum(SY, R) + R  # <= Y
    cols = (OX - 1) * np.minimum(SX, S) + S
    work = _saturated(N, filters, per_filter, R, S, OY, OX)
    weights, outputs = _saturated(filters, per_filter, R, S), _saturated(N, filters, OY, OX)
    return work, _saturated(N, channels, rows, cols), weights, outputs


def _impossible(v: dict[str, _A], needs: tuple[_A, _A, _A, _A], P: _A) -> np.ndarray:
    """Where a printed result breaks a physical bound (the kernel's ``impossible``: the general
    engine's BOUNDS on the closed forms' outputs, one SIMD lane)."""
    work, in_used, w_size, o_size = needs
    return np.asarray(
        (_saturated(v["runtime"], P) < work) | (v["macs"] < work) | (v["input_l2_read"] < in_used)
        | (v["filter_l2_read"] < w_size) | (v["output_l2_write"] < o_size) | (v["l1_bytes"] <= 0)
        | (v["l2_bytes"] <= 0)
    )  # fmt: skip


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

    ``dims``: int64 (n, 10) with the columns of :data:`~confuciux.workload.LAYER_COLUMNS` (K, C,
    Y, X, R, S, N, G, stride_y, stride_x; K and C the totals over the groups), or (n, 6) for
    K..S with N = G = stride = 1; ``depthwise``: bool (n,); ``pes``, ``ktile``: int64 (n,).
    CONV rows use ``dataflow`` (dla/shi/eye), depthwise rows ``dpt``.

    Returns a float64 array for each output of :data:`schema.CLOSED_FORM` (units there; NaN
    unless the point is printed: status OK or IMPOSSIBLE), ``status`` (uint8,
    :data:`schema.STATUS`) and ``valid`` (bool, status OK or IMPOSSIBLE).
    A point whose energy, area or power is not a finite float64 has status 2 (overflow), as in
    the C kernel.  Every regime has its forms: no point has status 4 (not supported).
    ``check_overflow=False`` skips overflow detection (for benchmarks only: results of points
    that overflow are then wrong).
    """
    dims = full_dims(dims)
    n = dims.shape[0]
    K, C, Y, X, R, S, N, G, SY, SX = (np.ascontiguousarray(dims[:, j]) for j in range(len(LAYER_COLUMNS)))
    P = np.asarray(pes, dtype=_I64).reshape(n)
    k = np.asarray(ktile, dtype=_I64).reshape(n)
    dw = np.asarray(depthwise, dtype=bool).reshape(n)
    conv_name = dataflows.lookup(dataflow).name
    conv_fn = _FORMULAS[conv_name]

    bad = _bad_input(K, C, Y, X, R, S, N, G, SY, SX, P, k, dw)
    # Bad rows are computed on harmless stand-in values and then discarded.
    one = np.ones(n, dtype=_I64)
    K, C, Y, X, R, S, N, G, SY, SX, P, k = (
        np.where(bad, one, v) for v in (K, C, Y, X, R, S, N, G, SY, SX, P, k)
    )
    ng = G > 1  # a grouped layer: MAESTRO's NGCONV with K/G filters over C/G channels per group
    Kg, Cg = K // G, C // G
    OY, OX = (Y - R) // SY + 1, (X - S) // SX + 1
    strided = (SY != 1) | (SX != 1)
    banded = strided & ~dw & (conv_name != "dla")  # shi/eye with strides: their own forms
    needs = _needs(Kg, Cg, R, S, N, G, SY, SX, OY, OX, dw)

    with np.errstate(all="ignore"):
        out = {f: np.zeros(n, dtype=_I64) for f in INT_FIELDS}
        status = np.full(n, OK, dtype=np.uint8)
        dpt_fn = _FORMULAS[dataflows.DEPTHWISE.name]
        # shi and eye have their own forms for strided layers (dla and dpt cover strides in one)
        for fn, rows in ((conv_fn, ~dw & ~banded), (None, banded), (dpt_fn, dw)):
            idx = np.flatnonzero(rows)
            if idx.size == 0:
                continue
            ck = _Checked(idx.size, check_overflow)
            args = [v[idx] for v in (Kg, Cg, Y, X, R, S, P, k, OY, OX)]
            ext = _Ext(ck, N[idx], G[idx], ng[idx], SY[idx], SX[idx], *args[2:6])
            tiles_overflow = np.zeros(idx.size, dtype=bool)
            if fn is None:
                Kd, Cd, Yd, Xd, Rd, Sd, Pd, kd = args[:8]
                result, tiles_overflow = _banded(
                    ck, ext, Kd, Cd, Yd, Xd, Rd, Sd, Pd, kd, eye=conv_name == "eye"
                )
            else:
                result = fn(ck, ext, *args)
            runtime, l1, l2, i_rd, w_rd, o_wr, macs, o_l1, valid = result
            i_wr, w_wr, o_rd = _tensor_sizes(ck, ext, fn is dpt_fn, *args[:6])
            values = {
                "runtime": runtime, "l1_bytes": l1, "l2_bytes": l2, "macs": macs,
                "input_l1_read": macs, "input_l1_write": i_rd,
                "input_l2_read": i_rd, "input_l2_write": i_wr,
                "filter_l1_read": macs, "filter_l1_write": w_rd,
                "filter_l2_read": w_rd, "filter_l2_write": w_wr,
                "output_l1_read": o_l1, "output_l1_write": o_l1,
                "output_l2_read": o_rd, "output_l2_write": o_wr,
            }  # fmt: skip
            # The edge steps of a strided layer can make the output counters negative (as in
            # MAESTRO); when that makes the energy negative the point cannot be costed (MAESTRO
            # prints such points with a negative energy).
            neg = ((o_wr < 0) | (o_l1 < 0)) & (_energy(values, dw[idx], hardware) < 0)
            st = np.where(~valid, INVALID, np.where(ck.overflow, OVERFLOW, np.where(neg, INVALID, OK)))
            st = np.where(tiles_overflow, OVERFLOW, st)
            broken = _impossible(values, tuple(a[idx] for a in needs), P[idx])  # type: ignore[arg-type]
            st = np.where((st == OK) & broken, IMPOSSIBLE, st)
            printed = (st == OK) | (st == IMPOSSIBLE)
            for f in INT_FIELDS:
                out[f][idx] = np.where(printed, values[f], 0)
            status[idx] = st
        status[bad] = BAD_INPUT
        for f in INT_FIELDS:
            out[f][bad] = 0

        return _float_outputs(out, status, dw, P, hardware)


def _float_outputs(
    ints: dict[str, np.ndarray], status: np.ndarray, dw: np.ndarray, P: np.ndarray, hardware: Hardware
) -> dict[str, np.ndarray]:
    """The closed forms' float64 outputs from the integer results, NaN unless the point is
    printed (OK or IMPOSSIBLE); such a point whose energy, area or power is not finite becomes
    OVERFLOW (as in the kernel)."""
    energy = _energy(ints, dw, hardware)
    area, power = area_power_points(P, ints["l1_bytes"], ints["l2_bytes"], hardware)
    printed = np.isin(status, tuple(PRINTED))
    status = np.where(
        printed & ~(np.isfinite(energy) & np.isfinite(area) & np.isfinite(power)), OVERFLOW, status
    ).astype(schema.STATUS_DTYPE)
    ok = np.isin(status, tuple(PRINTED))
    values = {name: a.astype(schema.DTYPE) for name, a in ints.items()}
    values["energy"], values["area"], values["power"] = energy, area, power
    values["macs_per_cycle"] = values["macs"] / values["runtime"]
    nan = np.float64(np.nan)
    out: dict[str, np.ndarray] = {name: np.where(ok, values[name], nan) for name in schema.CLOSED_FORM}
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


def energy_points(counts: dict[str, np.ndarray], single_level: np.ndarray, hw: Hardware) -> np.ndarray:
    """Energy in nJ of points from their access counts (:data:`INT_FIELDS`); with
    ``hw.maestro_energy`` MAESTRO's accounting, whose L1 term only counts where
    ``single_level`` (MAESTRO reads its L1 counters before filling them unless its analysis
    produced a single level's result: dpt, or a point whose top level never recursed)."""
    return _energy(counts, single_level, hw)


def area_power_points(
    pes: np.ndarray, l1_bytes: np.ndarray, l2_bytes: np.ndarray, hw: Hardware
) -> tuple[np.ndarray, np.ndarray]:
    """Area (µm²) and power (mW) of one accelerator with ``pes`` PEs, ``l1_bytes`` of L1 per PE
    and ``l2_bytes`` of L2; same formula and order as the C kernel, NaN where not finite."""
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range results become NaN below
        p = np.asarray(pes, dtype=np.float64)
        l1 = np.asarray(l1_bytes, dtype=np.float64)
        l2 = np.asarray(l2_bytes, dtype=np.float64)
        bw = hw.bus_width + hw.bus_width_per_pe * p
        a2, a1, a0 = hw.arbiter_poly
        q = (a2 * p + a1) * p + a0
        mac_area, mac_power = mac_per_pe(hw)
        area = (
            p * (mac_area + hw.l1_area * l1)
            + hw.l2_area * l2
            + (hw.bus_area_per_port * p + hw.bus_area_base) * bw
            + hw.arbiter_area * np.maximum(hw.arbiter_area_floor, q)
        )
        power = (
            p * (mac_power + hw.l1_power * l1)
            + hw.l2_power * l2
            + (hw.bus_power_per_port * p + hw.bus_power_base) * bw
            + hw.arbiter_power * np.maximum(hw.arbiter_power_floor, q)
        )
    # as the kernel: a point whose area or power is not a finite float64 gets NaN in both
    finite = np.isfinite(area) & np.isfinite(power)
    return np.where(finite, area, np.nan), np.where(finite, power, np.nan)


def mac_per_pe(hw: Hardware) -> tuple[float, float]:
    """The MAC area (µm²) and power (mW) of one PE: ``simd_lanes`` MACs (the kernel's struct
    holds these products)."""
    return hw.mac_area * hw.simd_lanes, hw.mac_power * hw.simd_lanes


def full_dims(dims: np.ndarray) -> np.ndarray:
    """(n, 10) int64 layer columns from (n, 10) or the stride-1 (n, 6)."""
    d = np.asarray(dims, dtype=_I64)
    if d.ndim == 2 and d.shape[1] == 6:
        d = np.concatenate([d, np.ones((d.shape[0], 4), dtype=_I64)], axis=1)
    return d.reshape(-1, len(LAYER_COLUMNS))


def _tensor_sizes(
    ck: _Checked, e: _Ext, dw: bool, K: _A, C: _A, Y: _A, X: _A, R: _A, S: _A
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input and filter L2 writes (one fill each) and output L2 reads, as MAESTRO counts them:
    the output size at stride 1 (it sizes the output tensor before applying the stride), times
    the channels of a grouped layer (its output is coupled to C as well)."""
    i_wr = ck.prod(e.NG, C, Y, X)
    o_full = ck.mul(Y - R + 1, X - S + 1)
    if dw:
        return i_wr, ck.prod(C, R, S), ck.prod(e.N, C, o_full)
    w_wr = ck.prod(e.G, K, C, R, S)
    o_rd = ck.prod(e.NG, K, o_full, _where(e.ng, C, 1))
    return i_wr, w_wr, o_rd
