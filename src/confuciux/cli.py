"""Command line: ``confuciux evaluate``, ``explore``, ``import``, ``zoo``, ``compare``, ``sweep`` and ``pareto``.

Exit codes: 0 done; 1 error (an unreadable or invalid model file, a value the library rejects,
a file that cannot be written); 2 usage (an unknown option, a malformed or out-of-range value);
3 infeasible (``explore``: no design within the budget; ``evaluate``: a layer the cost model
cannot cost, or ``--result``: the saved costs not reproduced); 130 interrupted (Ctrl-C:
``explore`` still prints its best design so far and writes it to ``--json``); 141 when the
reader of the output goes away (``confuciux zoo | head -2``), quietly, as for any Unix tool
killed by SIGPIPE.  Errors are one line on stderr, never a traceback (set ``CONFUCIUX_DEBUG=1``
to see one).
"""

from __future__ import annotations

import argparse
import csv
import errno
import importlib.util
import io
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any

import numpy as np

from . import __version__
from ._limits import KERNEL_INT_MAX
from .cost import DATAFLOWS, STATUS, LayerCosts, evaluate
from .cost.design import evaluate_design
from .explorer import METHODS, Explorer, Progress
from .formats import onnx as onnx_format
from .platform import BUDGET_KEYS, DEPLOYMENTS, Platform
from .presets import HARDWARE, PLATFORMS, ignored_options, load_model, make_platform, parse_budget
from .result import Result
from .search.problem import OBJECTIVES
from .workload import KINDS, Model

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 3, 130, 141


class UsageError(ValueError):
    """Arguments that parse but do not fit together (exit code 2)."""


def _load_model(spec: str) -> Model:
    """A zoo name, a ConfuciuX CSV (``K,C,Y,X,R,S,T``), a MAESTRO ``.m`` or an ONNX ``.onnx`` file."""
    return load_model(spec)


def _integer(lo: int, hi: int = KERNEL_INT_MAX) -> Callable[[str], int]:
    """An argparse type: a decimal integer in [lo, hi] (checked before Python's int() so that a
    5,000-digit argument is a usage error, not Python's digit-limit error)."""

    def parse(text: str) -> int:
        digits = text.strip().lstrip("+-")
        if not digits.isdecimal() or not digits.isascii() or len(digits.lstrip("0")) > len(str(hi)):
            raise argparse.ArgumentTypeError(f"expected an integer in [{lo}, {hi}], got {_clip(text)}")
        value = int(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer in [{lo}, {hi}], got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def _dataflow_list(text: str) -> str | tuple[str, ...]:
    """An argparse type: a dataflow, or several separated by commas (each layer then picks its
    own: a heterogeneous layer-pipelined design)."""
    names = tuple(t.strip().lower() for t in text.split(","))
    if any(n not in DATAFLOWS for n in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"expected distinct dataflows from {', '.join(DATAFLOWS)} separated by commas, got {_clip(text)}"
        )
    return names[0] if len(names) == 1 else names


def _fraction(text: str) -> float:
    """An argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:  # also NaN
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {_clip(text)}")
    return value


#: File types ``--plot`` writes (matplotlib's formats by suffix; anything else is a usage error,
#: checked before the work: matplotlib would append ``.png`` to a name without one).
IMAGE_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff")


def _image_path(text: str) -> str:
    """An argparse type: a file name with a suffix of :data:`IMAGE_SUFFIXES`, not a directory."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{_clip(text)} is a directory, expected an image file name")
    if os.path.splitext(text)[1].lower() not in IMAGE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"expected an image file name ending in one of {list(IMAGE_SUFFIXES)}, "
                                         f"got {_clip(text)}")  # fmt: skip
    return text


def _need_plotting(args: argparse.Namespace) -> None:
    """Before any work: ``--plot`` needs matplotlib (a missing extra is an error at once, not after
    a long search)."""
    if getattr(args, "plot", None) and importlib.util.find_spec("matplotlib") is None:
        raise ValueError("--plot needs matplotlib: pip install confuciux[plot]")


def _clip(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[:n] + "...")


def _import_onnx(path: str, batch: int, strict: bool) -> onnx_format.Imported:
    try:
        return onnx_format.import_onnx(path, batch=batch, strict=strict)
    except ImportError as exc:  # the optional extra is missing: a one-line error, not a traceback
        raise ValueError(str(exc)) from None


def _fmt(x: float) -> str:
    if np.isnan(x):
        return "-"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.6g}"


COLUMNS = [
    ("layer", None), ("kind", None), ("K", None), ("C", None), ("Y", None), ("X", None),
    ("R", None), ("S", None), ("pes", None), ("buffer", None),
    ("runtime_cycles", "runtime"), ("energy_nJ", "energy"), ("area_um2", "area"),
    ("power_mW", "power"), ("l1_bytes", "l1_bytes"), ("l2_bytes", "l2_bytes"),
    ("macs", "macs"), ("macs_per_cycle", "throughput"), ("status", None),
]  # fmt: skip


def _rows(model: Model, pes: np.ndarray, buffers: np.ndarray, costs: LayerCosts) -> list[list[str]]:
    rows = []
    for i, layer in enumerate(model):
        row = [layer.name or str(i), layer.kind, *(str(getattr(layer, d)) for d in "KCYXRS")]
        row += [str(int(pes[i])), str(int(buffers[i]))]
        row += [_fmt(float(getattr(costs, f)[i])) for _, f in COLUMNS if f is not None]
        row.append(STATUS[int(costs.status[i])])
        rows.append(row)
    return rows


def _print_table(rows: list[list[str]], header: list[str], out: IO[str]) -> None:
    widths = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(header)]
    out.write("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=False)) + "\n")
    for r in rows:
        out.write("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=False)) + "\n")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    if args.result is not None:
        return _cmd_evaluate_result(args)
    if args.model is None:
        raise ValueError("evaluate needs --model (or --result with a saved design)")
    model = _load_model(args.model)
    hardware = HARDWARE[args.hardware]()
    n = len(model)
    pes = np.broadcast_to(np.asarray(args.pes, dtype=np.int64), (n,)) if len(args.pes) in (1, n) else None
    buffers = np.broadcast_to(np.asarray(args.buffer, dtype=np.int64), (n,)) if len(args.buffer) in (1, n) else None
    if pes is None or buffers is None:
        raise UsageError(f"--pes and --buffer take one value or one per layer ({n} layers)")
    costs = evaluate(model, pes, buffers, args.dataflow, hardware)
    header = [name for name, _ in COLUMNS]
    rows = _rows(model, pes, buffers, costs)
    total = costs.total()
    out = sys.stdout
    out.write(f"{model.name}: {n} layers, dataflow {args.dataflow} (depthwise layers: dpt), hardware {hardware.name}\n")
    _print_table(rows, header, out)
    out.write(
        "total (layer-pipelined: one sub-accelerator per layer): "
        f"runtime {_fmt(float(total.runtime))} cycles, energy {_fmt(float(total.energy))} nJ, "
        f"area {_fmt(float(total.area))} um^2, power {_fmt(float(total.power))} mW, "
        f"PEs {sum(int(p) for p in pes):,}"
    )
    n_bad = int(n - np.count_nonzero(costs.valid))
    out.write(f"; {n_bad} invalid layer(s)\n" if n_bad else "\n")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([[c.replace(",", "") for c in r] for r in rows])
    return EXIT_OK if n_bad == 0 else EXIT_INFEASIBLE


def _cmd_zoo(args: argparse.Namespace) -> int:
    from . import zoo

    for name in zoo.names():
        m = zoo.load(name)
        sys.stdout.write(f"{name:18s} {len(m):4d} layers  {m.macs / 1e9:10.3f} GMACs\n")
    return EXIT_OK


def _cmd_explore(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    platform = _platform_from_args(args, model)
    if args.method in ("exact", "heuristic"):  # deterministic, no epochs
        for flag in ("epochs", "seed"):
            if getattr(args, flag) is not None:
                _warn(f"--{flag} is ignored with --method {args.method}")
    epochs = 500 if args.epochs is None else args.epochs
    seed = 0 if args.seed is None else args.seed
    err = sys.stderr
    live = not args.quiet

    def progress(p: Progress) -> None:
        if not live or (p.epoch % 10 and p.epoch != p.epochs):
            return
        used = ", ".join(f"{k} {100 * v:.1f}%" for k, v in p.budget_used.items())
        best = f"{p.best_objective:,.6g}" if p.feasible else "none feasible yet"
        err.write(
            f"\r[{p.method}/{p.stage}] epoch {p.epoch}/{p.epochs}  best {best}  budget used {used}  "
            f"evals {p.evaluations:,}   "
        )
        err.flush()

    explorer = Explorer(model, platform, args.objective, args.method, epochs, seed, progress)
    reason = explorer.check()
    if reason is not None:  # plain before any search: say why at once
        err.write(f"confuciux: infeasible: {reason}\n")
        return EXIT_INFEASIBLE
    result = explorer.run()
    if live:
        err.write("\n")
    if args.json:  # first: an interrupted or piped run still keeps its best design
        _write_json(args.json, result)
    if args.plot:
        _save_plot(result.plot, args.plot)
    # with --json - the JSON is the output: the summary goes to stderr
    (sys.stderr if args.json == "-" else sys.stdout).write(result.summary() + "\n")
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.feasible else EXIT_INFEASIBLE


def _write_json(path: str, result: Result) -> None:
    _write_text(path, result.to_json(indent=1))


def _write_text(path: str, text: str) -> None:
    """To the file ``path``, or to stdout for ``-``."""
    if path == "-":
        sys.stdout.write(text + "\n")
        return
    with open(path, "w") as f:
        f.write(text)


def _warn(message: str) -> None:
    sys.stderr.write(f"confuciux: warning: {message}\n")


def _save_plot(plot: Callable[[str], object], path: str) -> None:
    try:
        plot(path)
    except ImportError as exc:  # matplotlib missing: an error of the setup, not of confuciux
        raise ValueError(f"--plot: {exc}") from None


def _add_platform_options(p: argparse.ArgumentParser, fpga: bool = True) -> None:
    """The options :func:`presets.make_platform` takes (shared by explore and compare).  Options
    a platform does not use default to None, so that a warning can name them when given."""
    p.add_argument("--dataflow", default="dla", type=_dataflow_list, metavar="DF[,DF...]",
                   help=f"one of {', '.join(DATAFLOWS)}, or several separated by commas: each layer then "
                        "picks its own (layer-pipelined)")  # fmt: skip
    if fpga:
        p.add_argument("--platform", default="confuciux", choices=PLATFORMS,
                       help="confuciux: the paper's budget (--constraint, --mul) or absolute --budget; "
                            "cloud-fpga / edge-fpga: the FPGA case study")  # fmt: skip
    p.add_argument("--constraint", default=None, choices=BUDGET_KEYS, help="budgeted resource (default area)")
    p.add_argument("--mul", type=_fraction, default=None,
                   help="budget = min + mul * (max - min) over the corner designs (default 0.5)")  # fmt: skip
    p.add_argument("--budget", action="append", metavar="KEY=VALUE",
                   help="absolute budget, repeatable: area=3e6 (um^2), power=500 (mW), pes=4096, l1_bytes=..., "
                        "l2_bytes=...; replaces --constraint/--mul")  # fmt: skip
    p.add_argument("--deployment", default=None, choices=DEPLOYMENTS, help="LP or LS (default LP)")
    p.add_argument("--hardware", default="default", choices=sorted(HARDWARE))


def _platform_options(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """(platform name, make_platform's keyword options), warning about given options the
    platform ignores."""
    try:
        budgets = parse_budget(args.budget)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    name = getattr(args, "platform", "confuciux")
    given = {k for k in ("constraint", "mul", "deployment") if getattr(args, k) is not None}
    given |= {"budgets"} if budgets else set()
    for option in ignored_options(name, given):
        flag = "--budget" if option == "budgets" else f"--{option}"
        why = f"--platform {name}" if name != "confuciux" else "--budget"
        _warn(f"{flag} is ignored with {why}")
    opts: dict[str, Any] = {
        "dataflow": args.dataflow, "hardware": args.hardware, "budgets": budgets,
        "constraint": args.constraint or "area", "mul": 0.5 if args.mul is None else args.mul,
        "deployment": args.deployment or "LP",
    }  # fmt: skip
    return name, opts


def _platform_from_args(args: argparse.Namespace, model: Model) -> Platform:
    name, opts = _platform_options(args)
    return make_platform(model, name, **opts)


# --- sweep ---------------------------------------------------------------------------------------

_SWEEP_COLUMNS = ("model", "dataflow", "platform", "objective", "method", "seed", "objective_value", "feasible",
                  "seconds")  # fmt: skip


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .sweeps import cases_from_spec, load_spec, results_table, sweep

    spec = load_spec(args.spec)
    cases = cases_from_spec(spec, args.spec, os.path.dirname(args.spec))
    _warn_ignored_spec_keys(spec, args.spec)
    executor, close = _executor(args)
    try:
        results = sweep(cases, executor, args.checkpoint, progress=not args.quiet and sys.stderr.isatty())
    finally:
        close()
    table = results_table(results)
    if args.csv:
        table.to_csv(args.csv)
    if args.json:
        _write_text(args.json, json.dumps([r.to_dict() for r in results], indent=1))
    rows = [[_cell(row.get(c)) for c in _SWEEP_COLUMNS] for row in table]
    _print_table(rows, list(_SWEEP_COLUMNS), sys.stderr if args.json == "-" else sys.stdout)
    return EXIT_OK if all(r.feasible for r in results) else EXIT_INFEASIBLE


def _warn_ignored_spec_keys(spec: dict[str, Any], source: str) -> None:
    given = {k for k in ("constraint", "mul", "deployment") if k in spec} | (
        {"budgets"} if spec.get("budget") else set()
    )
    names = spec.get("platform", "confuciux")
    for name in dict.fromkeys(names if isinstance(names, list) else [names]):
        for option in ignored_options(str(name), given):
            key = "budget" if option == "budgets" else option
            why = f"platform {name}" if name != "confuciux" else "'budget'"
            _warn(f"{source}: '{key}' is ignored with {why}")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value < 1e3 else _fmt(value)
    return str(value)


def _executor(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """The executor of ``--workers`` / ``--scheduler`` and how to release it."""
    if args.workers:
        import concurrent.futures

        pool = concurrent.futures.ProcessPoolExecutor(args.workers)
        return pool, lambda: pool.shutdown(wait=False, cancel_futures=True)
    if args.scheduler:
        try:
            import distributed
        except ImportError:
            raise ValueError("--scheduler needs Dask: pip install confuciux[dask]") from None
        connect: Any = distributed.Client  # untyped
        client = connect(args.scheduler, timeout=30)
        return client, client.close
    return None, lambda: None


def _add_sweep_parser(sub: Any) -> None:
    sw = sub.add_parser("sweep", help="run many searches from a TOML or JSON specification (resumable)",
                        description="Run the product of the values listed in SPEC (keys: model, platform, dataflow, "
                                    "constraint, mul, budget, hardware, deployment, objective, method, epochs, seed; "
                                    "see docs/howto-sweep.md).")  # fmt: skip
    sw.add_argument("spec", metavar="SPEC", help="a .toml (Python >= 3.11, or tomli) or .json specification")
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_integer(1, 4096), help="run on a pool of this many processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster (tcp://host:8786)")
    sw.add_argument("--checkpoint", metavar="FILE", help="JSON-lines file of finished cases: a rerun skips them")
    sw.add_argument("--csv", metavar="FILE", help="write the results table to this CSV file")
    sw.add_argument("--json", metavar="FILE", help="write every result to this JSON file ('-': stdout)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=_cmd_sweep)


# --- compare -------------------------------------------------------------------------------------


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare_dataflows

    model = _load_model(args.model)
    name, opts = _platform_options(args)
    budgets = opts["budgets"]
    if name != "confuciux":  # an FPGA's fixed budgets are absolute already
        budgets = dict(make_platform(model, name, hardware=opts["hardware"]).budgets)
    if budgets and args.reference:
        raise UsageError("--reference (a budget from a dataflow) cannot be combined with --budget or an FPGA platform")
    comparison = compare_dataflows(
        model, args.dataflows, args.objective, args.method, budgets=budgets or None, reference=args.reference,
        per_layer=args.per_layer,
        constraint=opts["constraint"], mul=opts["mul"], hardware=HARDWARE[opts["hardware"]](),
        deployment=opts["deployment"], epochs=500 if args.epochs is None else args.epochs,
        seed=0 if args.seed is None else args.seed,
    )  # fmt: skip
    if args.json:
        _write_text(args.json, json.dumps(comparison.to_dict(), indent=1))
    if args.plot:
        _save_plot(comparison.plot, args.plot)
    (sys.stderr if args.json == "-" else sys.stdout).write(comparison.summary() + "\n")
    return EXIT_OK if comparison.best is not None else EXIT_INFEASIBLE


def _add_compare_parser(sub: Any) -> None:
    cp = sub.add_parser("compare", help="compare dataflows fairly: every one under the same absolute budget")
    cp.add_argument("--model", default="mobilenet_v2", help="zoo name, ConfuciuX .csv, MAESTRO .m or ONNX .onnx file")
    cp.add_argument("--dataflows", nargs="+", default=["dla", "shi", "eye"], choices=DATAFLOWS)
    cp.add_argument("--per-layer", action="store_true",
                    help="also the design in which every layer picks its own dataflow (same budget)")  # fmt: skip
    cp.add_argument("--reference", choices=DATAFLOWS,
                    help="dataflow whose --constraint/--mul budget every dataflow gets "
                         "(default: the first of --dataflows)")  # fmt: skip
    _add_platform_options(cp)
    cp.add_argument("--objective", default="latency", choices=OBJECTIVES)
    cp.add_argument("--method", default=None, choices=METHODS,
                    help="default: exact where it proves the optimum (LP latency, energy, throughput), "
                         "else confuciux")  # fmt: skip
    cp.add_argument("--epochs", type=_integer(1, 10**9), default=None, help="default 500")
    cp.add_argument("--seed", type=_integer(0), default=None, help="default 0")
    cp.add_argument("--json", metavar="FILE", help="write the comparison to this JSON file ('-': stdout)")
    cp.add_argument(
        "--plot", metavar="PNG", type=_image_path, help="draw the comparison to this image (needs confuciux[plot])"
    )
    cp.set_defaults(func=_cmd_compare)


# --- pareto --------------------------------------------------------------------------------------


def _cmd_pareto(args: argparse.Namespace) -> int:
    import confuciux

    pareto: Any = getattr(confuciux, "pareto", None)
    if pareto is None:
        raise ValueError("this version of confuciux has no pareto() (it comes with the exact solver's fronts)")
    if len(set(args.dataflows)) != len(args.dataflows):
        raise UsageError(f"--dataflows lists a dataflow twice: {' '.join(args.dataflows)}")
    model = _load_model(args.model)
    hardware = HARDWARE[args.hardware]()
    fronts = [
        pareto(model, Platform(d, hardware, args.deployment), objective=args.objective, resource=args.resource)
        for d in args.dataflows
    ]
    unit = {"area": "um2", "power": "mW", "pes": "PEs", "l1_bytes": "bytes", "l2_bytes": "bytes"}[args.resource]
    header = ["dataflow", "point", f"{args.resource}_{unit}", f"{args.objective}", "pes_total"]
    points = []  # full-precision values, for the CSV
    for d, front in zip(args.dataflows, fronts, strict=True):
        for i, (r, o) in enumerate(zip(front.resource, front.objective, strict=True)):
            points.append([d, i, float(r), float(o), int(np.sum(front.design(i)[0]))])
    out = sys.stderr if args.json == "-" else sys.stdout
    out.write(f"{model.name}: Pareto-optimal ({args.resource}, {args.objective}) designs, {len(points)} points\n")
    shown = _thin(points, [len(f.resource) for f in fronts])
    _print_table([[d, str(i), _fmt(r), _fmt(o), f"{p:,}"] for d, i, r, o, p in shown], header, out)
    if len(shown) < len(points):
        out.write(f"({len(shown)} of {len(points)} points shown, evenly spaced; --csv or --json writes them all)\n")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(points)
    if args.json:
        data = [{"dataflow": d, "resource": args.resource, "objective": args.objective,
                 "points": [[float(r), float(o)] for r, o in zip(f.resource, f.objective, strict=True)]}
                for d, f in zip(args.dataflows, fronts, strict=True)]  # fmt: skip
        _write_text(args.json, json.dumps(data, indent=1))
    if args.plot:
        from .plot import plot_fronts

        _save_plot(lambda path: plot_fronts(fronts, labels=args.dataflows, logx=True).savefig(path, dpi=100), args.plot)
    return EXIT_OK if points else EXIT_INFEASIBLE


PARETO_ROWS = 25  # points per front printed on the terminal (a front can hold 100,000)


def _thin(points: list[list[Any]], sizes: list[int]) -> list[list[Any]]:
    """At most :data:`PARETO_ROWS` evenly spaced points of each front (first and last kept)."""
    shown, start = [], 0
    for n in sizes:
        keep = sorted(set(np.linspace(0, n - 1, min(n, PARETO_ROWS)).round().astype(int).tolist())) if n else []
        shown += [points[start + i] for i in keep]
        start += n
    return shown


def _add_pareto_parser(sub: Any) -> None:
    pp = sub.add_parser("pareto", help="every Pareto-optimal (resource, objective) design: the trade-off curve")
    pp.add_argument("--model", default="mobilenet_v2", help="zoo name, ConfuciuX .csv, MAESTRO .m or ONNX .onnx file")
    pp.add_argument("--dataflows", nargs="+", default=["dla"], choices=DATAFLOWS, help="one front per dataflow")
    pp.add_argument("--objective", default="latency", choices=OBJECTIVES)
    pp.add_argument("--resource", default="area", choices=BUDGET_KEYS)
    pp.add_argument("--deployment", default="LP", choices=DEPLOYMENTS)
    pp.add_argument("--hardware", default="default", choices=sorted(HARDWARE))
    pp.add_argument("--csv", metavar="FILE", help="write the points to this CSV file")
    pp.add_argument("--json", metavar="FILE", help="write the fronts to this JSON file ('-': stdout)")
    pp.add_argument(
        "--plot", metavar="PNG", type=_image_path, help="draw the fronts to this image (needs confuciux[plot])"
    )
    pp.set_defaults(func=_cmd_pareto)


def _cmd_evaluate_result(args: argparse.Namespace) -> int:
    """``evaluate --result r.json``: the saved design costed again from the file alone."""
    with open(args.result, "rb") as f:
        data = f.read()
    try:
        saved = Result.from_json(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:  # KeyError: an older from_json
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{args.result}: not a saved result ({reason})") from None
    if saved.workload is None or saved.hardware is None:
        raise ValueError(f"{args.result}: the file does not carry its layers and hardware (saved by an older version)")
    model, hardware = saved.workload, saved.hardware
    dataflows = _saved_dataflows(saved, args.result)
    dataflow = "+".join(dict.fromkeys(dataflows))
    costs = evaluate_design(model, saved.pes, saved.buffers, dataflows, hardware)
    out = sys.stdout
    out.write(f"{args.result}: {model.name}, {len(model)} layers, dataflow {dataflow}, hardware {hardware.name}\n")
    _print_table(_rows(model, saved.pes, saved.buffers, costs), [name for name, _ in COLUMNS], out)
    same = _same_costs(costs, saved.costs)
    total = costs.total()
    out.write(
        f"total: runtime {_fmt(float(total.runtime))} cycles, energy {_fmt(float(total.energy))} nJ; "
        + ("the saved costs are reproduced\n" if same else "DIFFERENT from the saved costs\n")
    )
    return 0 if same and bool(np.all(costs.valid)) else 3


def _saved_dataflows(saved: Result, path: str) -> tuple[str, ...]:
    """Each layer's dataflow: the result's per-layer choice, else its platform's one dataflow."""
    if saved.dataflows:
        return tuple(saved.dataflows)
    dataflow = saved.platform.get("dataflow", "dla")
    if dataflow not in DATAFLOWS:
        raise ValueError(f"{path}: platform.dataflow must be one of {list(DATAFLOWS)}, got {dataflow!r}")
    return (str(dataflow),) * len(saved.pes)


def _same_costs(new: LayerCosts, saved: LayerCosts) -> bool:
    """Every saved cost of every layer reproduced (integer counts exactly, the rest to 1e-12)."""
    exact = ("runtime", "l1_bytes", "l2_bytes", "macs")
    close = ("energy", "area", "power", "throughput")
    return (
        all(np.array_equal(getattr(new, f), getattr(saved, f), equal_nan=True) for f in exact)
        and all(np.allclose(getattr(new, f), getattr(saved, f), rtol=1e-12, atol=0, equal_nan=True) for f in close)
        and np.array_equal(new.valid, saved.valid)
        and np.array_equal(new.status, saved.status)
    )


def _cmd_import(args: argparse.Namespace) -> int:
    """``import NET.onnx -o NET.csv|NET.m``: convert a model and print what became of each op."""
    source, output = args.source, args.output
    if not output.endswith((".csv", ".m")):
        raise ValueError(f"{output}: the output must be a .csv or a .m file")
    made: dict[str, int] = {}
    if source.endswith(".onnx"):
        imported = _import_onnx(source, args.batch, not args.no_strict)
        model, made = Model.from_imported(imported), imported.made
    else:
        model = _load_model(source)
    if args.name:
        model = Model(args.name, model.layers, model.skipped, model.custom_dataflow)
    if output.endswith(".csv"):
        model.to_csv(output)
    else:
        model.to_maestro(output)
    out = sys.stdout
    kinds = {k: sum(layer.kind == k for layer in model) for k in KINDS}
    kinds_made = ", ".join(f"{n} {k}" for k, n in kinds.items() if n) or "none"
    grouped = sum(layer.groups > 1 for layer in model)
    gmacs = model.macs / 1e9
    out.write(f"{source} -> {output}: {len(model)} layers ({kinds_made}; {grouped} grouped), {gmacs:.4g} GMACs\n")
    if made:
        out.write("layers from " + ", ".join(f"{op} {n}" for op, n in made.items()) + "\n")
    if model.skipped:
        out.write(f"skipped {sum(model.skipped.values())} ops: ")
        ranked = sorted(model.skipped.items(), key=lambda kv: (-kv[1], kv[0]))
        out.write(", ".join(f"{op} {n}" for op, n in ranked) + "\n")
    return 0


def _add_import_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    im = sub.add_parser("import", help="convert an ONNX (or .m, .csv, zoo) model to a .csv or .m file")
    im.add_argument("source", help="NET.onnx (or a .m, .csv file or a zoo name)")
    im.add_argument("-o", "--output", required=True, help="NET.csv or NET.m")
    im.add_argument(
        "--batch", type=_integer(1), default=1, help="the batch size for a dynamic (symbolic) batch dimension"
    )
    im.add_argument("--no-strict", action="store_true", help="skip (and count) compute ops with no layer form")
    im.add_argument("--name", help="the model's name (default: the file's)")
    im.set_defaults(func=_cmd_import)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="confuciux",
        description="Per-layer PE and buffer assignment for DNN accelerators, on an exact MAESTRO cost model.",
        epilog="exit codes: 0 done, 1 error, 2 usage, 3 infeasible, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="cost of a model on one hardware assignment, per layer")
    ev.add_argument("--model", help="zoo name, ConfuciuX .csv, MAESTRO .m or ONNX .onnx file")
    ev.add_argument("--result", help="re-evaluate the design saved in this JSON file (explore --json)")
    ev.add_argument("--dataflow", default="dla", choices=DATAFLOWS)
    ev.add_argument("--pes", type=_integer(1), nargs="+", default=[64], help="PEs: one value, or one per layer")
    ev.add_argument("--buffer", type=_integer(1), nargs="+", default=[4],
                    help="buffer (KTileSz): one value or one per layer")  # fmt: skip
    ev.add_argument("--hardware", default="default", choices=sorted(HARDWARE))
    ev.add_argument("--csv", help="also write the per-layer table to this CSV file")
    ev.set_defaults(func=_cmd_evaluate)

    z = sub.add_parser("zoo", help="list the built-in models")
    z.set_defaults(func=_cmd_zoo)

    ex = sub.add_parser("explore", help="search per-layer PEs and buffers under a budget")
    ex.add_argument("--model", default="mobilenet_v2", help="zoo name, ConfuciuX .csv, MAESTRO .m or ONNX .onnx file")
    _add_platform_options(ex)
    ex.add_argument("--objective", default="latency", choices=OBJECTIVES)
    ex.add_argument("--method", default="confuciux", choices=METHODS)
    ex.add_argument("--epochs", type=_integer(1, 10**9), default=None, help="default 500")
    ex.add_argument("--seed", type=_integer(0), default=None, help="default 0")
    ex.add_argument("--json", metavar="FILE", help="write the result to this JSON file ('-': to stdout, and the "
                                                   "summary to stderr)")  # fmt: skip
    ex.add_argument(
        "--plot", metavar="PNG", type=_image_path, help="draw the design to this image (needs confuciux[plot])"
    )
    ex.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    ex.set_defaults(func=_cmd_explore)
    _add_import_parser(sub)
    _add_sweep_parser(sub)
    _add_compare_parser(sub)
    _add_pareto_parser(sub)
    for command in sub.choices.values():  # a usage error found after parsing shows its command's usage
        command.set_defaults(command_usage=command.format_usage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (``sys.argv[1:]`` by default); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2), already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    _closed_streams()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            _need_plotting(args)
            code = int(args.func(args))
            sys.stdout.flush()  # here, so that a reader gone away is handled below, not at exit
        return code
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    except UsageError as exc:
        sys.stderr.write(getattr(args, "command_usage", parser.format_usage)())
        _error(exc)
        return EXIT_USAGE
    except Exception as exc:
        if os.environ.get("CONFUCIUX_DEBUG") == "1":
            raise
        expected = isinstance(exc, (ValueError, TypeError, OSError, OverflowError, MemoryError))
        _error(exc if expected else f"internal error ({type(exc).__name__}: {exc}); please report it")
        return EXIT_ERROR


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: IO[str] | None = None, line: str | None = None) -> None:  # fmt: skip
    """The library's warnings (a MAESTRO Dataflow block ignored, ONNX nodes skipped) as one line
    each, like the command line's own, not Python's two lines with a source path."""
    _warn(" ".join(str(message).split()))


class _ClosedStdout(io.TextIOBase):
    """Stands for a standard output the shell closed (``>&-``): writing to it is an error, as
    for any Unix tool, rather than Python's AttributeError on None."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _closed_streams() -> None:
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
    if sys.stderr is None:  # nowhere to report anything: messages are dropped
        sys.stderr = open(os.devnull, "w")  # kept open until the process exits


def _error(message: object) -> None:
    """One line on stderr, however long or multi-line the message."""
    text = " ".join(str(message).split())
    if len(text) > 1000:
        text = text[:997] + "..."
    try:
        sys.stderr.write(f"confuciux: error: {text}\n")
    except (OSError, ValueError):  # stderr closed too
        pass


def _silence_stdout() -> None:
    """After the reader of stdout went away: point stdout at /dev/null so that the interpreter's
    final flush does not print "Broken pipe" (Python's documented recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (in-process use)
        pass


if __name__ == "__main__":
    sys.exit(main())
