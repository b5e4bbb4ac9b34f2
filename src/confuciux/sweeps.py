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
import contextlib
import csv
import dataclasses
import hashlib
import importlib
import itertools
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import formats
from ._pool import process_pool
from ._progress import ProgressLine
from .dataflow.program import Dataflow
from .explorer import Explorer
from .mapping.settings import MappingSearch
from .platform import Platform
from .presets import is_model_file, load_model, make_platform, parse_bounds
from .result import Result
from .search.methods import SearchMethod
from .workload import Model

__all__ = ["Case", "sweep", "results_table", "Table", "load_spec", "cases_from_spec", "SPEC_KEYS", "method_spec",
           "method_label", "process_pool"]

#: ``fcntl`` where the system has it (checkpoint locks); elsewhere no lock: one sweep a file at a time.
_fcntl: Any = importlib.import_module("fcntl") if os.name == "posix" else None
_FORMAT = 2  # checkpoint record format; part of the case hash so old files never match
ProgressArg = bool | Callable[[int, int], object]


@dataclass(frozen=True)
class Case:
    """One search of a sweep: ``Explorer(model, platform, objective, method, epochs, seed)``.

    ``model`` may be a zoo name (loaded here).  ``method``: a registered name or a
    :class:`~confuciux.search.methods.SearchMethod` instance (e.g. ``Genetic(population=40)``, or a
    third party's method), which travels to the workers with the case (so it must pickle: a
    class defined at module level) and is recorded by :func:`method_spec` (name, type and
    parameters) in the case's hash and its checkpoint record; the result's ``method`` is then
    :func:`method_label` (``ga(population=40)``).  ``label`` names the case in tables and messages
    and takes no part in its hash.  Cases are frozen and picklable, so they travel to worker
    processes and Dask workers as they are."""

    model: Model
    platform: Platform
    objective: str = "latency"
    method: str | SearchMethod = "confuciux"
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
        method_spec(self.method)  # TypeError for parameters a case cannot record

    def explorer(self) -> Explorer:
        return Explorer(self.model, self.platform, self.objective, self.method, self.epochs, self.seed)

    def run(self) -> Result:
        """Run the search (in this process)."""
        result = self.explorer().run()
        label = method_label(self.method)
        return result if result.method == label else dataclasses.replace(result, method=label)

    def key(self) -> str:
        """A stable hash of everything in the case that decides the result or is recorded in it
        (the model's and layers' names too; not the label): 16 hex digits, the same in every
        process and session.  It does not cover the code: results checkpointed by another
        version of confuciux are reused as they are."""
        desc = {
            "format": _FORMAT, "model": _canonical(self.model), "platform": _canonical(self.platform),
            "objective": self.objective, "method": method_spec(self.method), "epochs": self.epochs, "seed": self.seed,
        }  # fmt: skip
        text = json.dumps(desc, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        pl = self.platform
        return self.label or (
            f"{self.model.name} {pl.dataflow_label} {pl.name} {self.objective} {method_label(self.method)} "
            f"seed {self.seed}"
        )


def _canonical(value: Any) -> Any:
    """JSON-able form of a value: dataclasses by every field (names included: a result records
    them) but those marked ``metadata={"record": False}`` (how a result is computed, not what it
    is: ``MappingSearch.workers``), search methods by :func:`method_spec`, mappings sorted,
    sequences and arrays as lists; TypeError for a value that has none."""
    if value is None or isinstance(value, (bool, int, str)):  # the common case first: a model's numbers
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)  # strict JSON: 'nan', 'inf'
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, type) and callable(getattr(value, "run", None)) and hasattr(value, "name"):
        return method_spec(value)  # a search method (the SearchMethod protocol, checked cheaply)
    if isinstance(value, Dataflow):  # a program: its MAESTRO text (equal programs, equal text)
        return {"dataflow": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f for f in dataclasses.fields(value) if f.metadata.get("record", True)]
        return {f.name: _canonical(getattr(value, f.name)) for f in fields}
    raise TypeError(f"a {type(value).__name__}: a sweep case records only JSON values, NumPy arrays, dataclasses "
                    "and search methods")  # fmt: skip


def method_spec(method: str | SearchMethod) -> str | dict[str, Any]:
    """How a case records its method: a registered name as it is; an instance as
    ``{"name", "type" (module.QualifiedName), "params"}`` — its dataclass fields, or the attributes
    of a plain object (JSON values, arrays, nested methods).  TypeError for a parameter that has
    no such form."""
    if isinstance(method, str):
        return method
    cls = type(method)
    return {"name": str(method.name), "type": f"{cls.__module__}.{cls.__qualname__}", "params": _params(method)}


def _params(method: SearchMethod) -> dict[str, Any]:
    """:func:`method_spec`'s ``params``."""
    obj: Any = method
    if dataclasses.is_dataclass(obj):
        params = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name != "name"}
    else:
        params = {k: v for k, v in vars(obj).items() if not k.startswith("_")} if hasattr(obj, "__dict__") else {}
    out = {}
    for k, v in sorted(params.items()):
        try:
            out[k] = _canonical(v)
        except TypeError as exc:
            raise TypeError(f"method {method.name!r}.{k} is {exc}") from None
    return out


def method_label(method: str | SearchMethod) -> str:
    """The method's name as results and tables show it: the name, followed for an instance by the
    parameters that differ from its class's defaults, e.g. ``ga(population=40)``."""
    if isinstance(method, str):
        return method
    params, defaults = _params(method), {}
    try:
        default: Any = type(method)()
        defaults = _params(default) if str(default.name) == str(method.name) else {}
    except Exception:  # a class without a no-argument constructor: every parameter is shown
        pass
    changed = [f"{k}={_short(method, k, v)}" for k, v in params.items() if defaults.get(k, _MISSING) != v]
    return f"{method.name}({', '.join(changed)})" if changed else str(method.name)


_MISSING = object()


def _short(method: Any, key: str, value: Any) -> str:
    inner = getattr(method, key, None)
    if isinstance(inner, SearchMethod) and not isinstance(inner, type):
        return method_label(inner)
    return json.dumps(value, separators=(",", ":")) if not isinstance(value, str) else repr(value)


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
    case that finishes is appended at once.  ``progress``: True shows progress on stderr (a bar on a
    terminal, a line every few seconds elsewhere); a callable
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
    report, end_report = _progress_function(progress, len(cases))
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
        if store is not None:
            store.open()
        _execute(todo, executor, finished)
    finally:
        end_report()
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
        futures = {executor.submit(_run_case, case, pure=False): key for key, case in todo.items()}
        _collect_dask(executor, futures, finished)
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
            with contextlib.suppress(Exception):  # a Dask client whose scheduler is gone cannot cancel
                future.cancel()
        raise


def _collect_dask(client: Any, futures: dict[Any, str], finished: Callable[[str, Result], None]) -> None:
    """:func:`_collect` on a Dask client; a lost scheduler or worker is a ConnectionError that says
    so (Dask reports it as a cancelled future or a closed comm)."""
    import distributed

    as_completed: Any = distributed.as_completed  # untyped
    comm_closed: type[Exception] = importlib.import_module("distributed.comm.core").CommClosedError
    total, count = len(futures), [0]

    def counted(key: str, result: Result) -> None:
        count[0] += 1
        finished(key, result)

    try:
        _collect(futures, as_completed(list(futures)), counted)
    except (cf.CancelledError, OSError, comm_closed) as exc:  # FutureCancelledError is a CancelledError
        status = getattr(client, "status", "?")
        scheduler = getattr(getattr(client, "scheduler", None), "address", None) or "the scheduler"
        if isinstance(exc, (cf.CancelledError, comm_closed)) or status != "running":
            raise ConnectionError(
                f"the Dask cluster went away ({scheduler}, client {status}): {count[0]} of {total} cases "
                f"finished before it did ({type(exc).__name__}: {exc}); with a checkpoint, run the sweep again "
                "to resume"
            ) from None
        raise


def _is_dask_client(executor: Any) -> bool:
    # duck typing, so that Dask is imported only when a client is passed
    return type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "gather")


def _progress_function(progress: ProgressArg, total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """(report(done), end()) for ``progress``."""
    if callable(progress):
        callback = progress

        def call(n: int) -> None:
            callback(n, total)

        return call, lambda: None
    if not progress:
        return lambda n: None, lambda: None
    line = ProgressLine(sys.stderr)
    return lambda n: line.update(n, total, f"{n}/{total} cases"), line.close


class _Checkpoint:
    """The JSON-lines file of finished cases: one ``{"key", "label", "method", "result"}`` per line.

    A record cut short (the sweep killed mid-write, a full disk) is ignored wherever it sits, and
    when the sweep resumes a cut record at the end of the file is dropped before anything is
    appended, so the file stays readable however often it is cut and resumed.  Records are written
    with one ``os.write`` loop on an unbuffered descriptor and synced, so nothing is held back in a
    buffer that a failing write could leave half flushed.  Several sweeps may share the file: each
    writes a record, and repairs the file's end, under an exclusive lock (``flock``), and looks at
    the end as it is then — not as it was when the sweep loaded the file, which would drop the
    records other sweeps appended since."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def load(self) -> dict[str, Result]:
        if not self.path.exists():
            return {}
        if not self.path.is_file():  # a device or a pipe: read for ever (/dev/zero), or never appended to
            raise ValueError(f"{self.path}: a sweep checkpoint is a regular file (it is read, then appended to)")
        data = self.path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{self.path}: not a sweep checkpoint (not UTF-8 text: {exc.reason})") from None
        found: dict[str, Result] = {}
        lines = data.split(b"\n")
        for lineno, line in enumerate(lines, 1):
            if line.strip():
                record = self._record(line.decode("utf-8"), lineno)
                if record is not None:
                    key, result = record
                    found[key] = result
                elif lineno == len(lines):  # the last line, cut short: dropped when the sweep resumes
                    break
        return found

    def _record(self, line: str, lineno: int) -> tuple[str, Result] | None:
        """(key, result) of a record line; None for a record cut short; ValueError naming the
        line for anything else."""
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if line.startswith(_RECORD_START) or _RECORD_START.startswith(line):  # one of our records, cut short
                return None
            raise ValueError(f"{self.path}, line {lineno}: not a sweep checkpoint record ({exc})") from None
        except RecursionError as exc:
            raise ValueError(f"{self.path}, line {lineno}: not a sweep checkpoint record ({exc})") from None
        try:
            return str(record["key"]), Result.from_json(json.dumps(record["result"]))
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ValueError(f"{self.path}, line {lineno}: not a sweep checkpoint record ({exc})") from None

    def open(self) -> None:
        """Open the file for appending (created with its folders when missing), dropping a record
        cut short at its end; before any case runs, so that an unwritable file fails at once."""
        if self.fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        with self._locked():
            self._end_lines()

    def _end_lines(self) -> None:
        """Make the file end with a newline (under the lock): a last line that is a whole record
        (or not one of ours) gets its newline, one cut short is dropped."""
        assert self.fd is not None
        size = os.fstat(self.fd).st_size
        start = _last_line_start(self.path, size)
        if start == size:
            return
        with open(self.path, "rb") as f:
            f.seek(start)
            tail = f.read(size - start)
        try:
            whole = self._record(tail.decode("utf-8", "replace"), 0) is not None
        except ValueError:  # not a record of ours: the next load names it; ours start on a line of their own
            whole = True
        if whole:
            self._write(b"\n")
        else:
            os.ftruncate(self.fd, start)

    def append(self, key: str, case: Case, result: Result) -> None:
        self.open()
        head = json.dumps({"key": key, "label": case.describe(), "method": method_spec(case.method)},
                          separators=(",", ":"), allow_nan=False)  # fmt: skip
        text = f'{head[:-1]},"result":{result.to_json(separators=(",", ":"))}}}\n'
        with self._locked():
            self._write(text.encode("utf-8"))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the file's exclusive lock (where the system has ``flock``)."""
        assert self.fd is not None
        if _fcntl is None:
            yield
            return
        _fcntl.flock(self.fd, _fcntl.LOCK_EX)
        try:
            yield
        finally:
            _fcntl.flock(self.fd, _fcntl.LOCK_UN)

    def _write(self, data: bytes) -> None:
        assert self.fd is not None
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _last_line_start(path: Path, size: int, chunk: int = 1 << 16) -> int:
    """The offset just past the last newline among the first ``size`` bytes of ``path`` (0 when
    there is none), read backwards a chunk at a time."""
    with open(path, "rb") as f:
        end = size
        while end > 0:
            begin = max(0, end - chunk)
            f.seek(begin)
            found = f.read(end - begin).rfind(b"\n")
            if found >= 0:
                return begin + found + 1
            end = begin
    return 0


#: How every record line starts (``json.dumps`` of a dict whose first key is ``key``, compact).
_RECORD_START = '{"key":'


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
SPEC_KEYS = ("model", "record", "platform", "dataflow", "constraint", "mul", "budget", "hardware", "deployment",
             "pe_bounds", "buffer_bounds", "objective", "method", "epochs", "seed")  # fmt: skip
_SPEC_DEFAULTS: dict[str, Any] = {"record": None, "platform": "confuciux", "dataflow": "dla", "constraint": "area",
                                  "mul": 0.5, "budget": None, "hardware": "default", "deployment": "LP",
                                  "pe_bounds": None, "buffer_bounds": None, "objective": "latency",
                                  "method": "confuciux", "epochs": 500, "seed": 0}  # fmt: skip


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
    ``pe_bounds`` / ``buffer_bounds`` are ``"LO..HI"`` strings; ``record`` is ``confuciux`` or
    ``network`` for zoo models; ``dataflow = "mapping"`` searches every layer's mapping
    (:class:`~confuciux.mapping.settings.MappingSearch` with the case's seed; an absolute budget;
    cases run in one process share each layer's search when their PE counts are the same — a
    budget grows them unless ``pe_bounds`` is given).  ValueError names ``source`` and the key
    for anything else.  Relative model files (of any format in :data:`confuciux.formats.FORMATS`)
    are read from ``base`` (:func:`load_spec`'s callers pass the specification's folder)."""
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
    models: dict[tuple[str, str | None], Model] = {}
    cases = []
    for combo in itertools.product(*axes):
        opts = dict(zip(SPEC_KEYS, combo, strict=True))
        try:
            cases.append(_case(opts, models, base))
        except (ValueError, TypeError) as exc:
            shown = {k: v for k, v in opts.items() if k in spec}
            raise ValueError(f"{source}: case {shown}: {exc}") from None
    return cases


def _case(opts: dict[str, Any], models: dict[tuple[str, str | None], Model],
          base: str | os.PathLike[str] | None) -> Case:  # fmt: skip
    name, record = opts["model"], opts["record"]
    if not isinstance(name, str):
        raise TypeError(f"'model' must be a name or a path, got {name!r}")
    if (name, record) not in models:
        path = str(Path(base, name)) if base is not None else name
        models[name, record] = load_model(path if is_model_file(path) else name, record)
    model = models[name, record]
    budget = opts["budget"]
    if budget is not None and not isinstance(budget, Mapping):
        raise TypeError(f"'budget' must be a table such as {{area = 3e6}}, got {budget!r}")
    bounds = {k: parse_bounds(opts[k], repr(k)) if opts[k] is not None else () for k in ("pe_bounds", "buffer_bounds")}
    dataflow = opts["dataflow"]
    if dataflow == "mapping":  # every layer's mapping searched (docs/mapping.md), seeded by the case's seed
        dataflow = MappingSearch(seed=opts["seed"])
    platform = make_platform(model, opts["platform"], dataflow, opts["constraint"], opts["mul"],
                             budget, opts["hardware"], opts["deployment"], bounds["pe_bounds"],
                             bounds["buffer_bounds"])  # fmt: skip
    return Case(model, platform, opts["objective"], opts["method"], opts["epochs"], opts["seed"])
