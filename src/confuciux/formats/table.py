"""ConfuciuX's CSV model format, extended so that every layer loads back equal.

ConfuciuX's files have the header ``K,C,Y,X,R,S,T`` (``T``: 1 CONV, 2 DSCONV).  confuciux writes
those columns first, then ``kind,stride_y,stride_x,batch,groups,name``, which ConfuciuX's
reader ignores; this reader takes either form (and any column order, extra columns ignored).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import IO, Any

from .maestro import LayerLike

__all__ = ["COLUMNS", "parse", "write"]

DIMS = ("K", "C", "Y", "X", "R", "S")
COLUMNS = (*DIMS, "T", "kind", "stride_y", "stride_x", "batch", "groups", "name")
_OPTIONAL_INTS = ("T", "stride_y", "stride_x", "batch", "groups")
_INT_TEXT = re.compile(r"[+-]?[0-9]+")  # stricter than int(): no "1_000", no spaces inside
_MAX_DIGITS = 19


def parse(text: str, source: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line, Layer keyword arguments)`` per data row; a ``ValueError`` naming the file, the
    line and the field for anything else."""
    reader = csv.reader(io.StringIO(text[1:] if text.startswith("\ufeff") else text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError(f"{source}: empty CSV, expected a header K,C,Y,X,R,S,T") from None
    except csv.Error as exc:
        raise ValueError(f"{source}, line 1: {_csv_message(exc)}") from None
    missing = [d for d in DIMS if d not in header]
    if missing:
        raise ValueError(f"{source}: CSV header lacks {missing}; got {header[:10]}")
    col = {h: i for i, h in enumerate(header)}
    rows: list[tuple[int, dict[str, Any]]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ValueError(f"{source}, line {reader.line_num}: {_csv_message(exc)}") from None
        if not row or all(not c.strip() for c in row):
            continue
        where = f"{source}, line {reader.line_num}"
        if len(row) < len(header) or any(c.strip() for c in row[len(header) :]):
            raise ValueError(f"{where}: expected {len(header)} fields ({','.join(header)}), got {len(row)}")
        rows.append((reader.line_num, _row_arguments(row, col, where)))
    if not rows:
        raise ValueError(f"{source}: the CSV has a header but no layers")
    return rows


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return f"not a readable CSV row ({text})"


def _integer(cell: str, column: str, where: str) -> int:
    cell = cell.strip()
    if not _INT_TEXT.fullmatch(cell):
        raise ValueError(f"{where}: field {column} is not an integer: {cell[:40]!r}")
    if len(cell.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
        raise ValueError(f"{where}: field {column} is too large ({len(cell)} digits)")
    return int(cell)


def _row_arguments(row: list[str], col: dict[str, int], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {d: _integer(row[col[d]], d, where) for d in DIMS}
    extra = {c: _integer(row[col[c]], c, where) for c in _OPTIONAL_INTS if c in col and row[col[c]].strip()}
    t = extra.pop("T", None)
    if t not in (None, 1, 2):
        raise ValueError(f"{where}: field T must be 1 (CONV) or 2 (DSCONV), got {t}")
    kind = row[col["kind"]].strip().upper() if "kind" in col else ""
    if not kind:
        kind = "DSCONV" if t == 2 else "CONV"
    elif t is not None and (t == 2) != (kind == "DSCONV"):
        raise ValueError(f"{where}: field T ({t}) contradicts kind {kind!r}")
    values["kind"] = kind
    if "name" in col:
        values["name"] = row[col["name"]]
    if "stride_y" in extra or "stride_x" in extra:
        values["stride"] = (extra.pop("stride_y", 1), extra.pop("stride_x", 1))
    values.update(extra)
    return values


def write(layers: Iterable[LayerLike], f: IO[str]) -> None:
    """Write ``layers`` with :data:`COLUMNS` (``T`` = 2 for DSCONV, else 1)."""
    w = csv.writer(f, lineterminator="\n")
    w.writerow(COLUMNS)
    for layer in layers:
        dims = [getattr(layer, d) for d in DIMS]
        t = 2 if layer.kind == "DSCONV" else 1
        w.writerow([*dims, t, layer.kind, *layer.stride, layer.batch, layer.groups, layer.name])
