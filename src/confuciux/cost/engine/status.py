"""What an engine result means: its status, and how a pass stops the analysis.

MAESTRO either prints a CSV row or dies.  The engine never dies: a pass that reaches a point
where MAESTRO would stop raises :class:`Stop` with the status that says how MAESTRO stops there,
and :func:`~confuciux.cost.engine.evaluate` turns it into an invalid result.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Status", "Stop", "DESCRIPTION", "PRINTED"]


class Status(IntEnum):
    """Status of one evaluation (``EngineResult.status``).

    ``OK`` and ``IMPOSSIBLE`` are the results MAESTRO prints (``valid``); every other status is
    invalid and carries no numbers."""

    #: MAESTRO prints this result, and nothing in it contradicts the layer's work.
    OK = 0
    #: MAESTRO prints this result, but it is physically impossible: it finishes below the compute
    #: bound, uses more PEs than there are, or moves less data than the layer needs (see
    #: ``EngineResult.impossible`` for which).  Reproduced exactly; searches exclude it by default.
    IMPOSSIBLE = 1
    #: MAESTRO prints a runtime <= 0 or a negative energy: it cannot cost the point.
    BAD_VALUE = 2
    #: MAESTRO dies of SIGFPE (an integer division by zero in its analysis).
    SIGFPE = 3
    #: MAESTRO aborts (a failed assertion or an index out of range) or crashes on a null pointer.
    CRASH = 4
    #: MAESTRO's analysis refuses the program (it prints an error and exits with code 255).
    REFUSED = 5
    #: MAESTRO's 32- or 64-bit integers overflow: what it prints is not a cost.
    OVERFLOW = 6
    #: MAESTRO's result depends on an uninitialised variable (an output coordinate Y'/X' in a
    #: level without its kernel dimension R/S): it prints garbage.
    UNDEFINED = 7


#: One line per status.
DESCRIPTION: dict[Status, str] = {
    Status.OK: "ok",
    Status.IMPOSSIBLE: "printed by MAESTRO but physically impossible",
    Status.BAD_VALUE: "MAESTRO prints runtime <= 0 or negative energy",
    Status.SIGFPE: "MAESTRO dies of SIGFPE",
    Status.CRASH: "MAESTRO aborts or crashes",
    Status.REFUSED: "MAESTRO's analysis refuses the program",
    Status.OVERFLOW: "MAESTRO's fixed-width integers overflow",
    Status.UNDEFINED: "MAESTRO reads an uninitialised value",
}

#: Statuses of the results MAESTRO prints as costs (``EngineResult.valid``).
PRINTED = frozenset({Status.OK, Status.IMPOSSIBLE})


class Stop(Exception):
    """Raised by a pass where MAESTRO stops; ``status`` says how, ``reason`` where and why."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(f"{status.name}: {reason}")
        self.status = status
        self.reason = reason
