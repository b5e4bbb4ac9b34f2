"""MAESTRO's arithmetic and the quirks of its analysis that the engine reproduces, in one place.

Every pass calls these instead of doing the arithmetic itself, so that each deviation from the
obvious formula is written (and explained) once.  Integers are Python ints; MAESTRO's C++ uses
``int`` (32 bits) for sizes, offsets, case counts and buffer sizes and ``long`` (64 bits) for
volumes and counters.  Where a value leaves its type's range MAESTRO's output is not a cost, so
the engine stops with ``Status.OVERFLOW`` instead of reproducing the wrapped number.
"""

from __future__ import annotations

import math

from .status import Status, Stop

__all__ = [
    "I32_MAX", "I64_MAX", "i32", "i64", "add", "mul", "cdiv", "cmod", "ceil_div_double", "noc_delay",
    "INPUT_HEIGHT", "INPUT_WIDTH", "OUTPUT_HEIGHT", "OUTPUT_WIDTH", "OUTPUT_OF",
]  # fmt: skip

I32_MAX = 2**31 - 1
I64_MAX = 2**63 - 1

INPUT_HEIGHT, INPUT_WIDTH = "Y", "X"
OUTPUT_HEIGHT, OUTPUT_WIDTH = "Y'", "X'"
#: The output coordinate of an input coordinate (MAESTRO's hard-wired CONV pairs).
OUTPUT_OF = {INPUT_HEIGHT: OUTPUT_HEIGHT, INPUT_WIDTH: OUTPUT_WIDTH}


def i32(value: int, what: str) -> int:
    """``value`` if it fits MAESTRO's 32-bit ``int``; otherwise the analysis stops (OVERFLOW)."""
    if -I32_MAX - 1 <= value <= I32_MAX:
        return value
    raise Stop(Status.OVERFLOW, f"{what} = {value} does not fit MAESTRO's 32-bit int")


def i64(value: int, what: str) -> int:
    """``value`` if it fits MAESTRO's 64-bit ``long``; otherwise the analysis stops (OVERFLOW)."""
    if -I64_MAX - 1 <= value <= I64_MAX:
        return value
    raise Stop(Status.OVERFLOW, f"{what} = {value} does not fit MAESTRO's 64-bit long")


def add(a: int, b: int, what: str) -> int:
    """``a + b`` in MAESTRO's ``long``: every sum of volumes, counters and delays is checked."""
    return i64(a + b, what)


def mul(a: int, b: int, what: str) -> int:
    """``a * b`` in MAESTRO's ``long``: every product of tiles, counts and occurrences is
    checked step by step (a product of many tiles can leave the range before a zero factor
    brings it back; MAESTRO's would have wrapped)."""
    return i64(a * b, what)


def cdiv(a: int, b: int, what: str = "division") -> int:
    """C's integer division (truncates toward zero); a zero divisor is MAESTRO's SIGFPE, the
    one quotient outside ``long`` (``LONG_MIN / -1``) an overflow."""
    if b == 0:
        raise Stop(Status.SIGFPE, f"integer division by zero: {what}")
    q = abs(a) // abs(b)
    return i64(q if (a >= 0) == (b >= 0) else -q, what)


def cmod(a: int, b: int, what: str = "division") -> int:
    """C's remainder (sign of the dividend); a zero divisor is MAESTRO's SIGFPE."""
    return a - b * cdiv(a, b, what)


def ceil_div_double(a: int, b: int) -> int:
    """``(long) ceil((double) a / (double) b)``: MAESTRO divides the critical path's partial sums
    by the SIMD lanes in double precision (exact below 2**53)."""
    return i64(int(math.ceil(float(a) / float(b))), "compute delay")


def noc_delay(volume: int, bandwidth: int, latency: int) -> int:
    """Cycles to move ``volume`` elements over a NoC level: the zero-load latency (hops x latency
    per hop) plus one cycle per further bandwidth-wide send.  MAESTRO rounds the sends up with C
    division, so a volume of 0 costs ``latency - 1`` cycles and a negative one (edge tiles can
    have negative extents) costs about ``latency - 1 + volume / bandwidth``."""
    sends = cdiv(volume, bandwidth, "NoC bandwidth")
    if cmod(volume, bandwidth, "NoC bandwidth") != 0:
        sends += 1
    return add(latency - 1, sends, "NoC delay")
