"""Sweeps (``confuciux.sweep``; this module is ``confuciux.sweeps``): many searches — in process, on a
process pool or on a Dask cluster — resumable.

A :class:`Case` is one search (model, platform, objective, method, epochs, seed); :func:`sweep`
runs a list of them and returns their :class:`Result` in case order.  Every case is seeded, so
its result does not depend on where it runs.  With ``checkpoint=path`` each finished case is
appended to a JSON-lines file (flushed and synced to disk) under a hash of the case, and a rerun
with the same file skips the cases it holds: a killed sweep loses only the cases in flight.
:func:`results_table` turns results into rows (a list of dicts with CSV and pandas exports);
:func:`load_spec` / :func:`cases_from_spec` read the TOML or JSON files of ``confuciux sweep``.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import hashlib
import importlib
import itertools
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from . import formats
from .explorer import Explorer
from .platform import Platform
from .presets import is_model_file, load_model, make_platform
from .result import Result
from .workload import Model

__all__ = ["Case", "sweep", "results_table", "Table", "load_spec", "cases_from_spec", "SPEC_KEYS"]

_FORMAT = 1  # checkpoint record format; part of the case hash so old files never match
ProgressArg = bool | Callable[[int, int], object]


@dataclass(frozen=True)
class Case:
    """One search of a sweep: ``Explorer(model, platform, objective, method, epochs, seed)``.

    ``model`` may be a zoo name (loaded here).  ``label`` names the case in tables and messages
    and takes no part in its hash.  Cases are frozen and picklable, so they travel to worker
    processes and Dask workers as they are."""

    model: Model
    platform: Platform
    objective: str = "latency"
    method: str = "confuciux"
    epochs: int = 500
    seed: int = 0
    label: str = ""

    def __post_init__(self) -> None:
        given: Any = self.model
        if isinstance(given, str):  # a zoo name
            object.__setattr__(self, "model", load_model(given))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"a sweep case needs an integer seed (reproducible), got {self.seed!r}")
        if not isinstance(self.label, str):
            raise TypeError(f"label must be a str, got {type(self.label).__name__}")
        self.explorer()  # validates model, platform, objective, method, epochs and seed

    def explorer(self) -> Explorer:
        return Explorer(self.model, self.platform, self.objective, self.method, self.epochs, self.seed)

    def run(self) -> Result:
        """Run the search (in this process)."""
        return self.explorer().run()

    def key(self) -> str:
        """A stable hash of everything in the case that decides the result (not the label): 16
        hex digits, the same in every process and session.  It does not cover the code: results
        checkpointed by another version of confuciux are reused as they are."""
        desc = {
            "format": _FORMAT, "model": _canonical(self.model.layers), "platform": _canonical(self.platform),
            "objective": self.objective, "method": self.method, "epochs": self.epochs, "seed": self.seed,
        }  # fmt: skip
        text = json.dumps(desc, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        pl = self.platform
        return (
            self.label or f"{self.model.name} {pl.dataflow} {pl.name} {self.objective} {self.method} seed {self.seed}"
        )


def _canonical(value: Any) -> Any:
    """JSON-able form of a value: dataclasses by their compared fields (names and labels are
    not compared), mappings sorted, sequences as lists."""
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value) if f.compare and f.name != "name"}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _run_case(case: Case) -> Result:  # module level: picklable for pools and Dask
    return case.run()


def sweep(
    cases: Iterable[Case],
    executor: Any = None,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: ProgressArg = False,
) -> list[Result]:
    """Run ``cases`` and return their results in case order.

    ``executor``: None (one after another in this process), any
    :class:`concurrent.futures.Executor` (e.g. a ``ProcessPoolExecutor``), or a Dask
    ``distributed.Client`` (``pip install confuciux[dask]``; the client connects to a scheduler the
    user runs, or a ``LocalCluster``).  Results are identical whichever runs them (``seconds``
    aside).  ``checkpoint``: a JSON-lines file; cases already in it are not run again, and each
    case that finishes is appended at once.  ``progress``: True draws a bar on stderr; a callable
    gets ``(done, total)`` after each case.  Identical cases run once.  A case that raises stops
    the sweep (pending cases are cancelled; finished ones stay in the checkpoint).  Ctrl-C during
    an in-process sweep stops it with KeyboardInterrupt after checkpointing finished cases.
    """
    cases = list(cases)
    for i, c in enumerate(cases):
        if not isinstance(c, Case):
            raise TypeError(f"cases[{i}] is a {type(c).__name__}, not a confuciux.Case")
    keys = [c.key() for c in cases]
    store = _Checkpoint(Path(checkpoint)) if checkpoint is not None else None
    done: dict[str, Result] = store.load() if store else {}
    todo: dict[str, Case] = {}
    for k, c in zip(keys, cases, strict=True):
        if k not in done:
            todo.setdefault(k, c)
    report = _progress_function(progress, len(cases))
    copies = Counter(keys)  # identical cases: one run finishes them all
    count = [len(cases) - sum(copies[k] for k in todo)]
    report(count[0])

    def finished(key: str, result: Result) -> None:
        done[key] = result
        if store is not None and not result.interrupted:
            store.append(key, todo[key], result)
        count[0] += copies[key]
        report(count[0])

    try:
        _execute(todo, executor, finished)
    finally:
        if store is not None:
            store.close()
    return [done[k] for k in keys]


def _execute(todo: dict[str, Case], executor: Any, finished: Callable[[str, Result], None]) -> None:
    if not todo:
        return
    if executor is None:
        for key, case in todo.items():
            result = case.run()
            finished(key, result)
            if result.interrupted:  # Explorer turned Ctrl-C into a partial result
                raise KeyboardInterrupt
        return
    if _is_dask_client(executor):
        import distributed

        futures = {executor.submit(_run_case, case, pure=False): key for key, case in todo.items()}
        as_completed: Any = distributed.as_completed  # untyped
        _collect(futures, as_completed(list(futures)), finished)
        return
    if isinstance(executor, cf.Executor):
        futures = {executor.submit(_run_case, case): key for key, case in todo.items()}
        _collect(futures, cf.as_completed(futures), finished)
        return
    raise TypeError(
        "executor must be None, a concurrent.futures.Executor or a dask distributed.Client, "
        f"got {type(executor).__name__}"
    )


def _collect(futures: dict[Any, str], completed: Iterator[Any], finished: Callable[[str, Result], None]) -> None:
    try:
        for future in completed:
            finished(futures[future], future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _is_dask_client(executor: Any) -> bool:
    # duck typing, so that Dask is imported only when a client is passed
    return type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "gather")


def _progress_function(progress: ProgressArg, total: int) -> Callable[[int], None]:
    if callable(progress):
        callback = progress

        def call(n: int) -> None:
            callback(n, total)

        return call
    if not progress:
        return lambda n: None

    def bar(n: int) -> None:
        width = 30
        filled = width * n // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{total} cases")
        if n == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return bar


class _Checkpoint:
    """The JSON-lines file of finished cases: one ``{"key", "label", "result"}`` per line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[str] | None = None

    def load(self) -> dict[str, Result]:
        if not self.path.exists():
            return {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{self.path}: not a sweep checkpoint (not UTF-8 text: {exc.reason})") from None
        lines = text.split("\n")
        found: dict[str, Result] = {}
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                found[record["key"]] = Result.from_json(json.dumps(record["result"]))
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                if lineno == len(lines):  # the last line, cut short when the sweep was killed
                    continue
                raise ValueError(f"{self.path}, line {lineno}: not a sweep checkpoint record ({exc})") from None
        return found

    def append(self, key: str, case: Case, result: Result) -> None:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "a+", encoding="utf-8")
            self.file.seek(0, os.SEEK_END)
            if self.file.tell() > 0:
                self.file.seek(self.file.tell() - 1)
                last = self.file.read(1)
                if last != "\n":  # a record cut short by a kill: end it so the next one parses
                    self.file.write("\n")
        record = {"key": key, "label": case.describe(), "result": result.to_dict()}
        self.file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


# --- tables ------------------------------------------------------------------------------------


class Table(list[dict[str, Any]]):
    """Rows of :func:`results_table`: a plain list of dicts, plus :meth:`to_csv` and
    :meth:`to_dataframe`."""

    def to_csv(self, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
        """Write the rows as CSV (a header, then one line per result; empty cells for None)."""
        columns: list[str] = []
        for row in self:
            columns += [c for c in row if c not in columns]
        if isinstance(path_or_file, (str, os.PathLike)):
            with open(path_or_file, "w", newline="", encoding="utf-8") as f:
                _write_csv(f, columns, self)
        else:
            _write_csv(path_or_file, columns, self)

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of the rows (``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Table.to_dataframe needs pandas: pip install pandas") from None
        return pd.DataFrame(list(self))


def _write_csv(f: IO[str], columns: list[str], rows: Sequence[Mapping[str, Any]]) -> None:
    w = csv.DictWriter(f, columns, restval="")
    w.writeheader()
    w.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)


def results_table(results: Iterable[Result]) -> Table:
    """One row per result: what was searched, the objective (its units: see ``objective``),
    totals (``runtime_cycles``, ``energy_nJ``, ``area_um2``, ``power_mW``, ``pes``), each budget
    (``budget_<key>`` and ``used_<key>`` in its units), the lower bound and gap when known, the
    evaluations and seconds."""
    rows = Table()
    for r in results:
        total = r.costs.total()
        pl = r.platform
        row: dict[str, Any] = {
            "model": r.model_name, "dataflow": pl.get("dataflow"), "platform": pl.get("name"),
            "hardware": pl.get("hardware"), "deployment": pl.get("deployment"),
            "objective": r.objective, "method": r.method, "seed": r.seed, "epochs": len(r.history),
            "objective_value": r.objective_value, "feasible": r.feasible,
            "runtime_cycles": float(total.runtime), "energy_nJ": float(total.energy),
            "area_um2": float(total.area), "power_mW": float(total.power), "pes": int(r.pes.sum()),
        }  # fmt: skip
        for key, u in r.constraint_used.items():
            row[f"budget_{key}"] = u["budget"]
            row[f"used_{key}"] = u["used"]
        row.update(lower_bound=r.lower_bound, gap=r.gap, evaluations=r.evaluations, seconds=r.seconds,
                   interrupted=r.interrupted)  # fmt: skip
        rows.append(row)
    return rows


# --- specification files (confuciux sweep SPEC) ------------------------------------------------

#: Keys of a sweep specification; each takes one value or a list (the sweep is their product).
SPEC_KEYS = ("model", "platform", "dataflow", "constraint", "mul", "budget", "hardware", "deployment",
             "objective", "method", "epochs", "seed")  # fmt: skip
_SPEC_DEFAULTS: dict[str, Any] = {"platform": "confuciux", "dataflow": "dla", "constraint": "area", "mul": 0.5,
                                  "budget": None, "hardware": "default", "deployment": "LP",
                                  "objective": "latency", "method": "confuciux", "epochs": 500, "seed": 0}  # fmt: skip


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a sweep specification: TOML (``.toml``; Python ≥ 3.11, or the ``tomli`` package on
    3.10) or JSON (any other name)."""
    path = Path(path)
    data = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            return _toml_loads(data.decode("utf-8"), path)
        spec = json.loads(data)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise ValueError(f"{path}: not a readable specification ({type(exc).__name__}: {exc})") from None
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: a sweep specification is a table of keys, got {type(spec).__name__}")
    return spec


def _toml_loads(text: str, path: Path) -> dict[str, Any]:
    try:
        toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    except ImportError:  # Python 3.10 without tomli
        raise ImportError(f"{path}: TOML on Python 3.10 needs tomli (pip install tomli); or use JSON") from None
    return dict(toml.loads(text))


def cases_from_spec(
    spec: Mapping[str, Any], source: str = "spec", base: str | os.PathLike[str] | None = None
) -> list[Case]:
    """The cases of a specification: every combination of the listed values of
    :data:`SPEC_KEYS` (``model`` is required; the others default to ``confuciux explore``'s
    defaults).  ``budget`` is a table of absolute budgets (``{area = 3e6}``) or a list of them;
    ValueError names ``source`` and the key for anything else.  Relative model files (of any
    format in :data:`confuciux.formats.FORMATS`) are read from ``base`` (:func:`load_spec`'s
    callers pass the specification's folder)."""
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {unknown}; expected some of {list(SPEC_KEYS)}")
    if "model" not in spec:
        raise ValueError(f"{source}: 'model' is required (a zoo name, a model file of "
                         f"{', '.join(formats.suffixes())}, or a list of them)")
    axes = []
    for key in SPEC_KEYS:
        value = spec.get(key, _SPEC_DEFAULTS.get(key))
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ValueError(f"{source}: {key!r} is an empty list")
        axes.append(values)
    models: dict[str, Model] = {}
    cases = []
    for combo in itertools.product(*axes):
        opts = dict(zip(SPEC_KEYS, combo, strict=True))
        try:
            cases.append(_case(opts, models, base))
        except (ValueError, TypeError) as exc:
            shown = {k: v for k, v in opts.items() if k in spec}
            raise ValueError(f"{source}: case {shown}: {exc}") from None
    return cases


def _case(opts: dict[str, Any], models: dict[str, Model], base: str | os.PathLike[str] | None) -> Case:
    name = opts["model"]
    if not isinstance(name, str):
        raise TypeError(f"'model' must be a name or a path, got {name!r}")
    if name not in models:
        path = str(Path(base, name)) if base is not None else name
        models[name] = load_model(path if is_model_file(path) else name)
    model = models[name]
    budget = opts["budget"]
    if budget is not None and not isinstance(budget, Mapping):
        raise TypeError(f"'budget' must be a table such as {{area = 3e6}}, got {budget!r}")
    platform = make_platform(model, opts["platform"], opts["dataflow"], opts["constraint"], opts["mul"],
                             budget, opts["hardware"], opts["deployment"])  # fmt: skip
    return Case(model, platform, opts["objective"], opts["method"], opts["epochs"], opts["seed"])
