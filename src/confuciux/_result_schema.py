"""The JSON schema of a :class:`confuciux.Result`, checked field by field on load.

:func:`load` parses a document and checks it; every violation is a :class:`ValueError` that
names the field (``pes[3]``, ``costs.runtime``, ...), so that a hand-edited or truncated file
never surfaces as a ``KeyError`` or a ``RecursionError``, and never becomes a Result that
breaks later (an unknown objective, 1.5 PEs, arrays of different lengths) or that contradicts
itself (``NaN`` tokens, a valid layer with an error status, a negative objective, "feasible"
over a budget).  Whether the saved numbers are the cost model's is not decided here but by
``confuciux evaluate --result``, which costs the design again.

The method is any name: a result saved by a method registered in another process, or by an
unregistered instance, loads anywhere.  This module imports nothing above the result in the
package's layering (no search method registry, no explorer).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._limits import KERNEL_INT_MAX
from .cost import STATUS, schema
from .platform import BUDGET_KEYS
from .search.objectives import OBJECTIVES

__all__ = ["COST_FIELDS", "MAX_DEPTH", "load"]

#: Per-layer cost arrays stored under ``costs`` (plus ``valid`` and ``status``).
COST_FIELDS = schema.MAIN
#: Deepest nesting of arrays and objects accepted (a result needs 4).
MAX_DEPTH = 32
REQUIRED = (
    "model", "method", "objective", "pes", "buffers", "costs", "objective_value", "constraint_used",
    "feasible", "history", "evaluations", "seconds", "seed", "lower_bound", "interrupted", "platform",
)  # fmt: skip
_USAGE_KEYS = ("used", "budget", "fraction")
_SPECIAL = re.compile(r'[\[\]{}"\\]')


def _no_constant(token: str) -> Any:
    raise ValueError(f"result JSON holds {token}, which is not JSON (a missing number is null)")


def load(text: str | bytes | bytearray) -> dict[str, Any]:
    """Parse and check a result document; returns the parsed dictionary."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"result JSON is not UTF-8: {exc}") from None
    if not isinstance(text, str):
        raise TypeError(f"Result.from_json takes a str or bytes, got {type(text).__name__}")
    _check_depth(text)
    try:
        d = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, NaN, Python's int digit limit
        raise ValueError(f"result JSON is not valid JSON: {exc}") from None
    check(d)
    return d  # type: ignore[no-any-return]


def _check_depth(text: str) -> None:
    """Reject nesting deeper than :data:`MAX_DEPTH` before the recursive parser sees it."""
    depth = 0
    in_string = False
    escaped = -1  # index of a character escaped by a backslash inside a string
    for m in _SPECIAL.finditer(text):
        c, i = m.group(), m.start()
        if in_string:
            if i == escaped:
                continue
            if c == "\\":
                escaped = i + 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"result JSON is nested more than {MAX_DEPTH} levels deep (at character {i})")
        else:
            depth -= 1


def check(d: Any) -> None:
    """Check a parsed result document; raise ValueError naming the first field that is wrong."""
    if not isinstance(d, dict):
        raise ValueError(f"a result JSON document must be an object, got {_kind(d)}")
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ValueError(f"result JSON lacks required key(s): {', '.join(missing)}")
    _text(d["model"], "model")
    if not _text(d["method"], "method"):
        raise ValueError("method must be a non-empty string")
    _choice(d["objective"], "objective", tuple(OBJECTIVES))
    n = len(_ints(d["pes"], "pes", 1))
    if len(_ints(d["buffers"], "buffers", 1)) != n:
        raise ValueError(f"buffers has {len(d['buffers'])} values but pes has {n}")
    _check_costs(d["costs"], n)
    _cost(d["objective_value"], "objective_value")
    _check_usage(d["constraint_used"])
    for key in ("feasible", "interrupted"):
        _bool(d[key], key)
    _check_feasible(d)
    for key in ("history", "improvements"):
        _records(d.get(key, []), key)
    _int(d["evaluations"], "evaluations", 0)
    seconds = _number(d["seconds"], "seconds")
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
    if d["seed"] is not None:
        _int(d["seed"], "seed", 0, None)
    bound = _cost(d["lower_bound"], "lower_bound")
    value = d["objective_value"]
    if d["feasible"] and value is not None and bound > value * (1 + 1e-9):
        # a certified bound on the optimum is at most the value of any design within the budgets
        raise ValueError(f"lower_bound ({d['lower_bound']!r}) is above the objective_value ({value!r}) of a feasible "
                         "design: a lower bound on the optimum cannot be")  # fmt: skip
    _mapping(d["platform"], "platform")
    _optional(d)


def _optional(d: Mapping[str, Any]) -> None:
    """Keys a result may lack (files written before they existed)."""
    if "space" in d:  # the action space searched
        space = _mapping(d["space"], "space")
        for key in ("pe_bounds", "buffer_bounds"):  # Result.on_bound and summary() read them
            if space.get(key) is not None:
                _bounds(space[key], f"space.{key}")
    if d.get("reason") is not None:  # why a result is infeasible
        _text(d["reason"], "reason")


def _bounds(x: Any, field: str) -> None:
    values = _array(x, field)
    if len(values) != 2:
        raise ValueError(f"{field} must be [lo, hi], got {len(values)} value(s)")
    lo, hi = (_int(v, f"{field}[{i}]", 1) for i, v in enumerate(values))
    if lo > hi:
        raise ValueError(f"{field} must be [lo, hi] with lo <= hi, got {values}")


def _kind(x: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(x), "a number"
    )


def _text(x: Any, field: str) -> str:
    if not isinstance(x, str):
        raise ValueError(f"{field} must be a string, got {_kind(x)}")
    return x


def _choice(x: Any, field: str, allowed: tuple[str, ...]) -> None:
    if _text(x, field) not in allowed:
        raise ValueError(f"unknown {field} {x!r}; expected one of {list(allowed)}")


def _bool(x: Any, field: str) -> None:
    if not isinstance(x, bool):
        raise ValueError(f"{field} must be true or false, got {_kind(x)}")


def _int(x: Any, field: str, lo: int, hi: int | None = KERNEL_INT_MAX) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise ValueError(f"{field} must be an integer, got {x!r}" if isinstance(x, float) else
                         f"{field} must be an integer, got {_kind(x)}")  # fmt: skip
    if x < lo or (hi is not None and x > hi):
        raise ValueError(f"{field} must be in [{lo}, {hi if hi is not None else 'inf'}], got {x}")
    return x


def _number(x: Any, field: str, nullable: bool = False) -> float:
    if x is None and nullable:
        return float("nan")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"{field} must be a number{' or null' if nullable else ''}, got {_kind(x)}")
    try:
        return float(x)
    except OverflowError:  # an integer beyond the float range
        raise ValueError(f"{field} is too large a number") from None


def _array(x: Any, field: str, n: int | None = None) -> list[Any]:
    if not isinstance(x, list):
        raise ValueError(f"{field} must be an array, got {_kind(x)}")
    if n is not None and len(x) != n:
        raise ValueError(f"{field} has {len(x)} values but pes has {n}")
    return x


def _mapping(x: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(x, dict):
        raise ValueError(f"{field} must be an object, got {_kind(x)}")
    return x


def _ints(x: Any, field: str, lo: int) -> list[Any]:
    values = _array(x, field)
    if not values:
        raise ValueError(f"{field} must hold one value per layer, got an empty array")
    for i, v in enumerate(values):
        _int(v, f"{field}[{i}]", lo)
    return values


def _each(x: Any, field: str, n: int, check_one: Callable[[Any, str], object]) -> None:
    for i, v in enumerate(_array(x, field, n)):
        check_one(v, f"{field}[{i}]")


def _cost(v: Any, field: str) -> float:
    x = _number(v, field, nullable=True)
    if x < 0:
        raise ValueError(f"{field} must be >= 0 (or null), got {v!r}")
    return x


def _status(v: Any, field: str) -> None:
    if _int(v, field, 0) not in STATUS:
        raise ValueError(f"{field} must be one of {sorted(STATUS)}, got {v!r}")


def _check_costs(x: Any, n: int) -> None:
    for old, new in schema.RENAMED.items():  # files written before an output was renamed
        if isinstance(x, dict) and old in x and new not in x:
            x[new] = x.pop(old)
    costs = _mapping(x, "costs")
    missing = [k for k in (*COST_FIELDS, "valid", "status") if k not in costs]
    if missing:
        raise ValueError(f"costs lacks required key(s): {', '.join(missing)}")
    for f in COST_FIELDS:
        _each(costs[f], f"costs.{f}", n, _cost)
    _each(costs["valid"], "costs.valid", n, _bool)
    _each(costs["status"], "costs.status", n, _status)
    for i, (valid, status) in enumerate(zip(costs["valid"], costs["status"], strict=True)):
        # the cost model's contract: valid is a printed status (ok, impossible), and only a valid point has costs
        if valid != (status in schema.PRINTED):
            raise ValueError(f"costs.valid[{i}] is {str(valid).lower()} but costs.status[{i}] is {status} "
                             f"({STATUS[status]}): a layer is valid exactly when its status is "
                             f"{' or '.join(f'{c} ({STATUS[c]})' for c in sorted(schema.PRINTED))}")  # fmt: skip
        for f in COST_FIELDS:
            if (costs[f][i] is None) == valid:
                state = "null" if valid else "a number"
                raise ValueError(f"costs.{f}[{i}] is {state} but costs.valid[{i}] is {str(valid).lower()}: "
                                 "a valid layer has every cost, an invalid one none (null)")  # fmt: skip


def _check_usage(x: Any) -> None:
    for key, usage in _mapping(x, "constraint_used").items():
        if key not in BUDGET_KEYS:
            raise ValueError(f"unknown budget {key!r} in constraint_used; expected some of {list(BUDGET_KEYS)}")
        u = _mapping(usage, f"constraint_used.{key}")
        missing = [k for k in _USAGE_KEYS if k not in u]
        if missing:
            raise ValueError(f"constraint_used.{key} lacks required key(s): {', '.join(missing)}")
        used = _cost(u["used"], f"constraint_used.{key}.used")
        budget = _number(u["budget"], f"constraint_used.{key}.budget")
        if not (math.isfinite(budget) and budget > 0):
            raise ValueError(f"constraint_used.{key}.budget must be a finite number > 0, got {budget!r}")
        fraction = _number(u["fraction"], f"constraint_used.{key}.fraction", nullable=True)
        expected = used / budget
        if not (fraction == expected or math.isclose(fraction, expected, rel_tol=1e-9) or
                (math.isnan(fraction) and math.isnan(expected))):  # fmt: skip
            raise ValueError(f"constraint_used.{key}.fraction is {u['fraction']!r} but used / budget is {expected!r}")


def _check_feasible(d: Mapping[str, Any]) -> None:
    """``feasible`` is what the explorer decides: every layer usable — physical (status ok), or
    valid where the platform allows impossible costs — and every budget kept."""
    allowed = isinstance(d["platform"], dict) and d["platform"].get("allow_impossible") is True
    usable = [v if allowed else s == 0 for v, s in zip(d["costs"]["valid"], d["costs"]["status"], strict=True)]
    valid = all(usable)
    over = [k for k, u in d["constraint_used"].items() if not (u["used"] is not None and u["used"] <= u["budget"])]
    if d["feasible"] and not valid:
        bad = usable.index(False)
        raise ValueError(f"feasible is true but layer {bad} is not usable (costs.status[{bad}] is "
                         f"{d['costs']['status'][bad]}: {STATUS[d['costs']['status'][bad]]})")  # fmt: skip
    if d["feasible"] and over:
        u = d["constraint_used"][over[0]]
        raise ValueError(f"feasible is true but constraint_used.{over[0]}.used ({u['used']!r}) is over its budget "
                         f"({u['budget']!r})")  # fmt: skip
    if d["feasible"] and d["objective_value"] is None:
        raise ValueError("feasible is true but objective_value is null")
    if not d["feasible"] and valid and not over:
        raise ValueError("feasible is false but every layer is valid and every budget is kept")


def _records(x: Any, field: str) -> None:
    for i, record in enumerate(_array(x, field)):
        for k, v in _mapping(record, f"{field}[{i}]").items():
            _number(v, f"{field}[{i}].{k}", nullable=True)
