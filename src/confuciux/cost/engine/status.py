"""What an engine result means: its status, and how a pass stops the analysis.

MAESTRO either prints a CSV row or dies.  The engine never dies: a pass that reaches a point
where MAESTRO would stop raises :class:`Stop` with the status that says how MAESTRO stops there,
and :func:`~confuciux.cost.engine.evaluate` turns it into an invalid result.

The statuses are the cost model's one table (:data:`confuciux.cost.schema.STATUSES`): the
engine, the closed forms and saved results share their codes.
"""

from __future__ import annotations

from enum import IntEnum

from .. import schema

__all__ = ["Status", "Stop", "DESCRIPTION", "PRINTED"]


class Status(IntEnum):
    """Status of one evaluation (``EngineResult.status``), with the codes of
    :data:`confuciux.cost.schema.STATUSES` (checked when this module loads).

    ``OK`` and ``IMPOSSIBLE`` are the results MAESTRO prints (``valid``); every other status is
    invalid and carries no numbers."""

    #: MAESTRO prints this result, and nothing in it contradicts the layer's work.
    OK = schema.OK
    #: MAESTRO prints a runtime <= 0 or a negative energy: it cannot cost the point.
    INVALID = schema.INVALID
    #: The engine's former name of :attr:`INVALID`.
    BAD_VALUE = schema.INVALID
    #: MAESTRO's 32- or 64-bit integers overflow: what it prints is not a cost.
    OVERFLOW = schema.OVERFLOW
    #: Not a layer, or a design of no PEs (the closed forms' status; the engine raises instead).
    BAD_INPUT = schema.BAD_INPUT
    #: Reserved, no longer produced.
    UNSUPPORTED = schema.UNSUPPORTED
    #: MAESTRO prints this result, but it is physically impossible: it finishes below the compute
    #: bound, uses more PEs than there are, or moves less data than the layer needs (see
    #: ``EngineResult.impossible`` for which).  Reproduced exactly; searches exclude it by default.
    IMPOSSIBLE = schema.IMPOSSIBLE
    #: MAESTRO dies of SIGFPE (an integer division by zero in its analysis).
    SIGFPE = schema.SIGFPE
    #: MAESTRO aborts (a failed assertion or an index out of range) or crashes on a null pointer.
    CRASH = schema.CRASH
    #: MAESTRO's analysis refuses the program (it prints an error and exits with code 255).
    REFUSED = schema.REFUSED
    #: MAESTRO's result depends on an uninitialised variable (an output coordinate Y'/X' in a
    #: level without its kernel dimension R/S): it prints garbage.
    UNDEFINED = schema.UNDEFINED


if {(m.name, int(m)) for m in Status} != {(s.name, s.code) for s in schema.STATUSES}:
    raise ImportError("engine.Status does not list the statuses of confuciux.cost.schema.STATUSES")

#: One line per status.
DESCRIPTION: dict[Status, str] = {Status(s.code): s.meaning for s in schema.STATUSES}

#: Statuses of the results MAESTRO prints as costs (``EngineResult.valid``).
PRINTED = frozenset(Status(code) for code in schema.PRINTED)


class Stop(Exception):
    """Raised by a pass where MAESTRO stops; ``status`` says how, ``reason`` where and why."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(f"{status.name}: {reason}")
        self.status = status
        self.reason = reason
