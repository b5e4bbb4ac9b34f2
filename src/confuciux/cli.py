"""Command line: ``confuciux evaluate``, ``explore``, ``import``, ``zoo``, ``dataflows``, ``compare``, ``sweep`` and
``pareto``.

Exit codes: 0 done; 1 error (an unreadable or invalid model file, a value the library rejects,
a file that cannot be written — checked before any work); 2 usage (an unknown option, an option
the command does not use, a malformed or out-of-range value); 3 infeasible (``explore``: no
design within the budget; ``evaluate``: a layer the cost model cannot cost, or ``--result``: the
saved costs, objective, usage or feasibility not reproduced); 130 interrupted (Ctrl-C:
``explore`` still prints its best design so far and writes it to ``--json``); 143 terminated
(SIGTERM, handled as Ctrl-C); 141 when the reader of the output goes away (``confuciux zoo |
head -2``), quietly, as for any Unix tool killed by SIGPIPE, whatever the size of the output.
Errors are one line on stderr, never a traceback (set ``CONFUCIUX_DEBUG=1`` to see one).
Process-level details (whole writes, signals, output files): :mod:`confuciux._console`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import errno
import importlib.util
import io
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

import numpy as np

from . import __version__, formats
from ._console import (
    EXIT_TERMINATED,
    Terminated,
    WholeWrites,
    check_outputs,
    console,
    handle_signals,
    output_path,
)
from ._limits import KERNEL_INT_MAX
from ._progress import ProgressLine
from ._result_io import write_layer_csv
from .cost import DATAFLOWS, STATUS, LayerCosts, evaluate, schema
from .cost.design import DataflowLike, label, labels, layer_specs
from .dataflow import PRESETS, Dataflow
from .explorer import METHODS, Explorer, Progress
from .hardware import CONFUCIUX_FLAGS, FLAGS, Hardware
from .mapping.settings import DEFAULT_EVALUATIONS, MappingSearch
from .mapping.space import MappingSpace
from .platform import BUDGET_KEYS, DEPLOYMENTS, Platform
from .presets import (
    HARDWARE,
    PLATFORMS,
    ignored_options,
    is_model_file,
    load_model,
    make_platform,
    parse_bounds,
    parse_budget,
    record_note,
)
from .result import Result
from .search.problem import OBJECTIVES
from .workload import KINDS, Model

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 3, 130, 141


class UsageError(ValueError):
    """Arguments that parse but do not fit together (exit code 2)."""


def _load_model(args: argparse.Namespace, spec: str | None = None) -> Model:
    """``--model`` (or ``spec``): a zoo name or a model file of a registered format
    (:data:`confuciux.formats.FORMATS`); for a zoo name given without ``--record``, a note says
    which record of the network it is."""
    spec = args.model if spec is None else spec
    record = getattr(args, "record", None)
    try:
        model = load_model(spec, record)
    except ValueError as exc:
        if record is not None and "applies to zoo models only" in str(exc):
            raise UsageError(f"--record: {exc}") from None
        raise
    note = record_note(spec) if record is None else None
    if note:
        sys.stderr.write(f"confuciux: note: {note}\n")
    return model


def _objective_help() -> str:
    """The objectives of the table, with their units and how layers combine."""
    return "; ".join(f"{o.name}: {o.combine} ({o.unit})" for o in OBJECTIVES.values())


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


#: ``--dataflow model``: each layer's own program (``Model.dataflows``; dla for a layer without one).
OWN_PROGRAMS = "model"


def _dataflow_list(text: str) -> tuple[str, ...]:
    """An argparse type: a dataflow, or several separated by commas (``--dataflow dla,eye``: in
    explore each layer then picks its own, in compare and pareto each is compared).  Each is a
    preset's name, ``model`` (each layer's own program) or a file holding a Dataflow block
    (:func:`_dataflows`, once the command runs, reads it)."""
    items = tuple(t.strip() for t in text.split(","))
    keys = [t.lower() if t.lower() in PRESETS or t.lower() == OWN_PROGRAMS else t for t in items]
    if not all(items) or len(set(keys)) != len(keys):
        raise argparse.ArgumentTypeError(f"expected distinct dataflows separated by commas, got {_clip(text)}")
    for t, key in zip(items, keys, strict=True):
        if key not in PRESETS and key != OWN_PROGRAMS and not os.path.exists(t):
            raise argparse.ArgumentTypeError(
                f"{_clip(t)} is neither a dataflow preset ({', '.join(PRESETS)}), {OWN_PROGRAMS!r} (each layer's "
                "own program) nor a file holding a Dataflow block"
            )
    return tuple(keys)


def _dataflows(items: Sequence[str]) -> list[DataflowLike | None]:
    """The dataflows of ``--dataflow``'s items: a preset's name as itself, ``model`` as None, a
    file as the program it holds (read by MAESTRO's rules; errors name the file and the line)."""
    out: list[DataflowLike | None] = []
    for item in items:
        if item in PRESETS:
            out.append(item)
        elif item == OWN_PROGRAMS:
            out.append(None)
        else:
            with open(item, encoding="utf-8") as f:
                out.append(Dataflow.parse(f.read(), source=item))
    return out


def _one(entries: list[DataflowLike | None]) -> Any:
    """A platform's dataflow: one entry, or a tuple of several."""
    return entries[0] if len(entries) == 1 else tuple(entries)


def _default_dataflow(args: argparse.Namespace, model: Model) -> tuple[str, ...]:
    """``--dataflow`` as given, else each layer's own program for a model that has some (a
    MAESTRO mapping file), else dla."""
    given: tuple[str, ...] | None = args.dataflow
    if given is not None:
        return given
    return (OWN_PROGRAMS,) if model.dataflows else ("dla",)


def _add_flag_options(p: argparse.ArgumentParser) -> None:
    """MAESTRO's hardware flags (:data:`confuciux.hardware.FLAGS`), over the ``--hardware``
    preset's (ConfuciuX's values)."""
    for name in CONFUCIUX_FLAGS:
        option = FLAGS[name][0]
        if name == "multicast":
            p.add_argument("--no-multicast", dest="multicast", action="store_false", default=None,
                           help=f"MAESTRO's {option}=false (its analysis ignores it)")  # fmt: skip
            continue
        low = 0 if name in ("noc_hops", "noc_hop_latency") else 1
        p.add_argument(f"--{name.replace('_', '-')}", type=_integer(low, 2**31 - 1), default=None, metavar="N",
                       help=f"MAESTRO's {option} (default {CONFUCIUX_FLAGS[name]:,}, ConfuciuX's)")  # fmt: skip


def _hardware(args: argparse.Namespace, name: str | None = None) -> Hardware:
    """The ``--hardware`` preset with the MAESTRO flags given."""
    preset = name or getattr(args, "hardware", None) or "default"
    flags = {k: getattr(args, k) for k in CONFUCIUX_FLAGS if getattr(args, k, None) is not None}
    base = Hardware.maestro if preset == "maestro" else Hardware.default
    return base(**flags) if flags else HARDWARE[preset]()


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


#: ``--plot``'s argparse type: an image file name (see :func:`confuciux._console.output_path`).
_image_path = output_path(IMAGE_SUFFIXES)


def _bounds(flag: str) -> Callable[[str], tuple[int, int]]:
    """An argparse type: ``LO..HI`` (:func:`presets.parse_bounds`)."""

    def parse(text: str) -> tuple[int, int]:
        try:
            return parse_bounds(text, flag)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "bounds"
    return parse


def _need_plotting(args: argparse.Namespace) -> None:
    """Before any work: ``--plot`` needs matplotlib (a missing extra is an error at once, not after
    a long search)."""
    if getattr(args, "plot", None) and importlib.util.find_spec("matplotlib") is None:
        raise ValueError("--plot needs matplotlib: pip install confuciux[plot]")


def _clip(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[:n] + "...")


def _model_help() -> str:
    return f"zoo name, or a model file: {formats.describe()}"


def _fmt(x: float) -> str:
    if np.isnan(x):
        return "-"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.6g}"


COLUMNS = [
    ("layer", None), ("kind", None), ("K", None), ("C", None), ("Y", None), ("X", None),
    ("R", None), ("S", None), ("pes", None), ("buffer", None),
    *((schema.column(name), name) for name in schema.MAIN), ("status", None),
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


#: ``evaluate``'s options that describe a design, which ``--result`` takes from its file instead.
_DESIGN_OPTIONS = ("model", "record", "dataflow", "pes", "buffers", "hardware")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    _buffers_option(args)
    if args.result is not None:
        given = [f"--{o}" for o in _DESIGN_OPTIONS if getattr(args, o) is not None]
        if given:
            raise UsageError(f"--result re-evaluates the design saved in the file: {', '.join(given)} does not apply")
        return _cmd_evaluate_result(args)
    if args.model is None:
        raise UsageError("evaluate needs --model (or --result with a saved design)")
    model = _load_model(args)
    n = len(model)
    entries = _dataflows(_default_dataflow(args, model))
    if len(entries) not in (1, n):
        raise UsageError(f"--dataflow takes one dataflow or one per layer ({n} layers), got {len(entries)}")
    dataflow = entries[0] if len(entries) == 1 else entries
    specs = layer_specs(dataflow, n, model.dataflows)
    hardware = _hardware(args)
    given_pes, given_buffers = args.pes or [64], args.buffers or [4]
    if len(given_pes) not in (1, n) or len(given_buffers) not in (1, n):
        raise UsageError(f"--pes and --buffers take one value or one per layer ({n} layers)")
    pes = np.broadcast_to(np.asarray(given_pes, dtype=np.int64), (n,))
    buffers = np.broadcast_to(np.asarray(given_buffers, dtype=np.int64), (n,))
    costs = evaluate(model, pes, buffers, dataflow, hardware)
    header = [name for name, _ in COLUMNS]
    rows = _rows(model, pes, buffers, costs)
    total = costs.total()
    out = sys.stdout
    shown = "+".join(dict.fromkeys(label(d) for d in specs))
    note = "each layer's own program" if entries == [None] else "depthwise layers: dpt under dla, shi and eye"
    flags = "" if hardware.confuciux_flags else f" ({', '.join(f'{k} {v}' for k, v in hardware.flags.items())})"
    out.write(f"{model.name}: {n} layers, dataflow {shown} ({note}), hardware {hardware.name}{flags}\n")
    _print_table(rows, header, out)
    out.write(
        "total (layer-pipelined: one sub-accelerator per layer): "
        f"runtime {_fmt(float(total.runtime))} cycles, energy {_fmt(float(total.energy))} nJ, "
        f"area {_fmt(float(total.area))} um^2, power {_fmt(float(total.power))} mW, "
        f"PEs {sum(int(p) for p in pes):,}"
    )
    n_bad = int(n - np.count_nonzero(costs.valid))
    n_impossible = int(np.count_nonzero(costs.status == schema.IMPOSSIBLE))
    notes = [f"{n_bad} invalid layer(s)"] if n_bad else []
    notes += [f"{n_impossible} physically impossible layer(s) (MAESTRO's numbers)"] if n_impossible else []
    out.write("; " + "; ".join(notes) + "\n" if notes else "\n")
    if args.csv:
        write_layer_csv(args.csv, pes, buffers, specs, costs, model)
    return EXIT_OK if n_bad == 0 else EXIT_INFEASIBLE


def _buffers_option(args: argparse.Namespace) -> None:
    """``--buffer``, the old spelling of ``--buffers`` (a tile count, not a size): accepted with a
    warning for one release."""
    old = getattr(args, "buffer_old", None)
    if old is None:
        return
    if args.buffers is not None:
        raise UsageError("--buffer is the old spelling of --buffers: give one of them")
    _warn("--buffer is deprecated and will be removed in the next release; use --buffers")
    args.buffers = old


def _cmd_zoo(args: argparse.Namespace) -> int:
    from . import zoo

    for name in zoo.names():
        m = zoo.load(name)
        sys.stdout.write(f"{name:18s} {len(m):4d} layers  {m.macs / 1e9:10.3f} GMACs\n")
    return EXIT_OK


def _cmd_dataflows(args: argparse.Namespace) -> int:
    """``dataflows``: one line a preset (name, the layer kinds it is written for, whether the
    closed forms cost it, what it is), or the MAESTRO text of the presets named."""
    from .dataflow.presets import preset

    unknown = [n for n in args.names if n.lower() not in PRESETS]
    if unknown:
        raise UsageError(f"unknown dataflow preset {unknown[0]!r}; expected some of {', '.join(PRESETS)}")
    if args.names:
        for name in args.names:
            sys.stdout.write(f"// {name.lower()}: {PRESETS[name.lower()].description}\n{preset(name)}")
        return EXIT_OK
    closed = set(DATAFLOWS) | {"dpt"}
    for entry in PRESETS.values():
        how = "closed form" if entry.name in closed else "engine"
        sys.stdout.write(f"{entry.name:8s} {'/'.join(entry.kinds):20s} {how:11s} {entry.description}\n")
    return EXIT_OK


def _cmd_explore(args: argparse.Namespace) -> int:
    model = _load_model(args)
    platform = _explore_platform(args, model)
    if args.method in ("exact", "heuristic"):  # deterministic, no epochs
        for flag in ("epochs", "seed"):
            if getattr(args, flag) is not None:
                _warn(f"--{flag} is ignored with --method {args.method}")
    epochs = 500 if args.epochs is None else args.epochs
    seed = 0 if args.seed is None else args.seed
    line = None if args.quiet else ProgressLine(sys.stderr)

    def progress(p: Progress) -> None:
        if line is None:
            return

        def text() -> str:
            used = ", ".join(f"{k} {100 * v:.1f}%" for k, v in p.budget_used.items())
            best = f"{p.best_objective:,.6g}" if p.feasible else "none feasible yet"
            return f"{p.method}/{p.stage} epoch {p.epoch}/{p.epochs}  best {best}  budget used {used}  " \
                   f"evals {p.evaluations:,}"  # fmt: skip

        line.update(p.epoch, p.epochs, text)

    explorer = Explorer(model, platform, args.objective, args.method, epochs, seed, progress)
    reason = explorer.check()
    if reason is not None:  # plain before any search: say why at once
        sys.stderr.write(f"confuciux: infeasible: {reason}\n")
        return EXIT_INFEASIBLE
    try:
        result = explorer.run()
    finally:
        if line is not None:
            line.close()
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


def _add_record_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--record", choices=("confuciux", "network"),
                   help="for a zoo model: confuciux (the default: ConfuciuX's record, strides dropped) or network "
                        "(the network as it is); also NAME:network")  # fmt: skip


def _dataflow_help(what: str, default: str) -> str:
    return (f"a preset ({', '.join(PRESETS)}; confuciux dataflows lists them), '{OWN_PROGRAMS}' (each layer's own "
            f"program) or a file holding a Dataflow block; several separated by commas: {what} (default {default})")


def _add_platform_options(p: argparse.ArgumentParser, dataflow: str | None = None, dataflow_help: str = "") -> None:
    """The options :func:`presets.make_platform` takes (shared by explore and compare).  Options
    a platform does not use default to None, so that a warning can name them when given."""
    default = "the model's own programs if it has some, else dla"
    p.add_argument("--dataflow", default=None if dataflow is None else _dataflow_list(dataflow), type=_dataflow_list,
                   action=_Given, metavar="DF[,DF...]",
                   help=_dataflow_help(dataflow_help, dataflow or default))  # fmt: skip
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
    _add_flag_options(p)
    p.add_argument("--allow-impossible", action="store_true",
                   help="keep the designs MAESTRO costs below a physical bound (as ConfuciuX does)")  # fmt: skip
    p.add_argument("--pe-bounds", type=_bounds("--pe-bounds"), metavar="LO..HI",
                   help="PEs a layer may take, e.g. 1..1024 (default: the platform's box; the RL agent's levels "
                        "are clipped into it)")  # fmt: skip
    p.add_argument("--buffer-bounds", type=_bounds("--buffer-bounds"), metavar="LO..HI",
                   help="buffer tiles a layer may take, e.g. 1..32 (default: the platform's box)")  # fmt: skip


def _platform_options(args: argparse.Namespace, model: Model) -> tuple[str, dict[str, Any]]:
    """(platform name, make_platform's keyword options), warning about given options the
    platform ignores."""
    try:
        budgets = parse_budget(args.budget)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    name = args.platform
    given = {k for k in ("constraint", "mul", "deployment") if getattr(args, k) is not None}
    given |= {"budgets"} if budgets else set()
    for option in ignored_options(name, given):
        flag = "--budget" if option == "budgets" else f"--{option}"
        why = f"--platform {name}" if name != "confuciux" else "--budget"
        _warn(f"{flag} is ignored with {why}")
    opts: dict[str, Any] = {
        "dataflow": _one(_dataflows(_default_dataflow(args, model))), "hardware": _hardware(args), "budgets": budgets,
        "constraint": args.constraint or "area", "mul": 0.5 if args.mul is None else args.mul,
        "deployment": args.deployment or "LP", "pe_bounds": args.pe_bounds or (),
        "buffer_bounds": args.buffer_bounds or (), "allow_impossible": args.allow_impossible,
    }  # fmt: skip
    return name, opts


def _platform_from_args(args: argparse.Namespace, model: Model) -> Platform:
    name, opts = _platform_options(args, model)
    return make_platform(model, name, **opts)


# --- searched mappings (docs/mapping.md) --------------------------------------------------------

#: The options that shape a mapping space or its search, by argparse dest.
_MAPPING_OPTIONS = {"levels": "--levels", "fix_order": "--fix-order", "parallel": "--parallel", "tiles": "--tiles",
                    "evaluations": "--evaluations", "workers": "--workers"}  # fmt: skip


def _dims_list(text: str) -> tuple[str, ...]:
    """An argparse type: dimension names separated by commas (``K,C,Y',X'``)."""
    dims = tuple(d.strip() for d in text.split(",") if d.strip())
    if not dims:
        raise argparse.ArgumentTypeError(f"expected dimension names separated by commas, got {text!r}")
    return dims


def _levels_arg(text: str) -> tuple[int, int]:
    """An argparse type: ``N`` or ``LO-HI`` cluster levels within 1..3."""
    parts = text.split("-")
    if not 1 <= len(parts) <= 2 or not all(p.strip().isdigit() and len(p.strip()) < 3 for p in parts):
        raise argparse.ArgumentTypeError(f"expected N or LO-HI (levels 1..3), got {text!r}")
    lo, hi = int(parts[0]), int(parts[-1])
    if not 1 <= lo <= hi <= 3:
        raise argparse.ArgumentTypeError(f"levels must satisfy 1 <= LO <= HI <= 3, got {text!r}")
    return lo, hi


def _pes_arg(text: str) -> tuple[int, int]:
    """An argparse type: ``P`` or ``LO..HI`` PE counts."""
    one = text.strip()
    if one.isdigit() and len(one) < 11 and 1 <= int(one) <= KERNEL_INT_MAX:
        return int(one), int(one)
    try:
        return parse_bounds(text, "--pes")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: The most PE counts ``map`` searches over.
MAP_MAX_PES = 1 << 16


def _add_mapping_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--levels", type=_levels_arg, metavar="N|LO-HI", help="cluster levels of a mapping (default 1-3)")
    p.add_argument("--parallel", type=_dims_list, metavar="D,D,...",
                   help="the dimensions a level may map in parallel (default K,C,Y',X'; one fixes it)")  # fmt: skip
    p.add_argument("--fix-order", type=_dims_list, metavar="D,D,...",
                   help="fix every level's loop order, outer first, e.g. K,C,Y',X',R,S (default: searched)")
    p.add_argument("--tiles", choices=("all", "divisors"), help="tile sizes: every integer (default) or divisors")
    p.add_argument("--evaluations", type=_integer(1, 10**8), metavar="N",
                   help="engine evaluations per layer's search (default 2000)")  # fmt: skip


def _add_searched_mapping_options(p: argparse.ArgumentParser, what: str) -> None:
    """``--mapping search``, the options that shape it, and ``--workers`` (explore, compare)."""
    p.add_argument("--mapping", choices=("search",), default=None, help=what)
    _add_mapping_options(p)
    p.add_argument("--workers", type=_integer(1, 4096), metavar="N",
                   help="with --mapping search: run the layers' searches on a pool of N processes (the same "
                        "result; default 1, in this process)")  # fmt: skip


def _no_mapping_options(args: argparse.Namespace, why: str) -> None:
    given = [flag for dest, flag in _MAPPING_OPTIONS.items() if getattr(args, dest, None) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} shape a mapping search: not used {why}")


def _mapping_space(args: argparse.Namespace) -> MappingSpace:
    """The mapping space of ``--levels``, ``--parallel``, ``--fix-order`` and ``--tiles``."""
    return MappingSpace(levels=args.levels or (1, 3), spatial=args.parallel or ("K", "C", "Y'", "X'"),
                        tiles=args.tiles or "all", orders=args.fix_order or "all")  # fmt: skip


def _explore_platform(args: argparse.Namespace, model: Model) -> Platform:
    """explore's platform: with ``--mapping search`` every layer's mapping searched."""
    if args.mapping != "search":
        _no_mapping_options(args, "without --mapping search")
        return _platform_from_args(args, model)
    for dest, flag in (("dataflow", "--dataflow"), ("buffer_bounds", "--buffer-bounds")):
        if getattr(args, dest, None) is not None:
            raise UsageError(f"{flag} is not used with --mapping search (the search picks each layer's program)")
    if args.platform == "confuciux" and not args.budget:
        raise UsageError("--mapping search needs an absolute --budget (ConfuciuX's relative budget comes from "
                         "fixed-dataflow corner designs) or --platform cloud-fpga/edge-fpga")  # fmt: skip
    args.dataflow = ("dla",)  # (replaced below; the platform's other options as given)
    return _searched_platform(args, _platform_from_args(args, model))


def _searched_platform(args: argparse.Namespace, platform: Platform) -> Platform:
    """``platform`` with every layer's mapping searched (the options of ``--levels`` ...)."""
    return dataclasses.replace(platform, dataflow=_mapping_search(args))


def _mapping_search(args: argparse.Namespace) -> MappingSearch:
    """The searched mapping of ``--levels``, ..., ``--evaluations``, ``--seed`` and ``--workers``."""
    return MappingSearch(_mapping_space(args), evaluations=args.evaluations or DEFAULT_EVALUATIONS,
                         seed=0 if args.seed is None else args.seed, workers=args.workers or 1)  # fmt: skip


def _cmd_map(args: argparse.Namespace) -> int:
    """One layer's mapping frontier (several PE counts), or its best mapping on one."""
    from .mapping.search import search

    model = _load_model(args)
    if not -len(model) <= args.layer < len(model):
        raise UsageError(f"--layer {args.layer}: {model.name!r} has layers 0..{len(model) - 1}")
    layer = model[args.layer]
    pes = args.pes or [(1, 128)]
    if sum(hi - lo + 1 for lo, hi in pes) > MAP_MAX_PES:
        raise UsageError(f"--pes gives more than {MAP_MAX_PES:,} PE counts")
    values = sorted({p for lo, hi in pes for p in range(lo, hi + 1)})
    caps = {k: v for k, v in (("l1_bytes", args.l1), ("l2_bytes", args.l2)) if v is not None}
    front = search(layer, _mapping_space(args), pes=values, objective=args.objective, resource=args.resource,
                   caps=caps, evaluations=args.evaluations or 2000, seed=args.seed, hardware=_hardware(args),
                   flags=_hardware(args).engine_flags)  # fmt: skip
    out = sys.stderr if "-" in (args.json, args.csv) else sys.stdout
    fixed = len(values) == 1 and args.resource == "pes"  # one point: GAMMA's fixed hardware
    what = f"best mapping on {values[0]} PEs" if fixed else f"{args.resource} against {args.objective} frontier"
    what += f" on {values[0]} PEs" if len(values) == 1 and not fixed else ""
    out.write(f"{model.name} layer {args.layer} ({layer.name or 'unnamed'}): {what}, {len(front)} point(s) of "
              f"{front.evaluations:,} evaluations ({front.method}), physically valid only\n")  # fmt: skip
    rows = [[str(i), f"{int(front.pes[i]):,}", _fmt(front.runtime[i]), _fmt(front.energy[i]), _fmt(front.area[i]),
             _fmt(front.l1_bytes[i]), _fmt(front.l2_bytes[i]), _fmt(front.bound[i])]
            for i in (range(len(front)) if not fixed else ([] if front.best is None else [front.best]))]  # fmt: skip
    _print_table(rows, list(_MAP_COLUMNS), out)
    if front.best is not None:
        out.write(f"best {args.objective}'s program:\n{front.programs[front.best]}\n")
    if args.json:
        _write_text(args.json, json.dumps(_map_records(front), indent=1))
    if args.csv:
        _write_map_csv(args.csv, front)
    return EXIT_OK if len(front) else EXIT_INFEASIBLE


_MAP_COLUMNS = ("point", "pes", "runtime", "energy_nJ", "area_um2", "l1_bytes", "l2_bytes", "bound")


def _map_records(front: Any) -> list[dict[str, Any]]:
    """The frontier's points, each with every cost and its program as MAESTRO text."""
    return [{**{k: v for k, v in front.point(i).items() if k != "program"}, "program": str(front.programs[i])}
            for i in range(len(front))]  # fmt: skip


def _write_map_csv(path: str, front: Any) -> None:
    records = _map_records(front)
    handle = sys.stdout if path == "-" else open(path, "w", newline="")
    try:
        w = csv.writer(handle)
        w.writerow(["point", "pes", "runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "bound", "program"])
        for i, r in enumerate(records):
            w.writerow([i, r["pes"], r["runtime"], r["energy"], r["area"], r["power"], r["l1_bytes"], r["l2_bytes"],
                        r["bound"], " ".join(r["program"].split())])  # fmt: skip
    finally:
        if handle is not sys.stdout:
            handle.close()


def _add_map_parser(sub: Any) -> None:
    mp = sub.add_parser("map", help="one layer's mapping: its frontier over PEs, or its best on fixed hardware")
    mp.add_argument("--model", default="mobilenet_v2", help=_model_help())
    _add_record_option(mp)
    mp.add_argument("--layer", type=int, required=True, help="the layer's index (from 0; negative from the end)")
    mp.add_argument("--pes", type=_pes_arg, action="append", metavar="P|LO..HI",
                    help="PE counts (repeatable; default 1..128); one value: the best mapping on that many")
    mp.add_argument("--objective", default="latency", choices=("latency", "energy"))
    mp.add_argument("--resource", default="pes", choices=("pes", "area", "power", "l1_bytes", "l2_bytes"))
    mp.add_argument("--l1", type=_integer(1), metavar="BYTES", help="cap on L1 bytes per PE")
    mp.add_argument("--l2", type=_integer(1), metavar="BYTES", help="cap on L2 bytes")
    mp.add_argument("--seed", type=_integer(0), default=0, help="default 0")
    mp.add_argument("--hardware", default="default", choices=sorted(HARDWARE))
    _add_flag_options(mp)
    _add_mapping_options(mp)
    mp.add_argument("--json", metavar="FILE", type=output_path(stdout=True),
                    help="write the points (costs and programs) to this JSON file ('-': stdout)")  # fmt: skip
    mp.add_argument("--csv", metavar="FILE", type=output_path(stdout=True),
                    help="write the points (costs and programs) to this CSV file ('-': stdout)")  # fmt: skip
    mp.set_defaults(func=_cmd_map)


# --- sweep ---------------------------------------------------------------------------------------

_SWEEP_COLUMNS = ("model", "dataflow", "platform", "objective", "method", "seed", "objective_value", "feasible",
                  "seconds")  # fmt: skip


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .sweeps import cases_from_spec, load_spec, results_table, sweep

    spec = load_spec(args.spec)
    cases = cases_from_spec(spec, args.spec, os.path.dirname(args.spec))
    _warn_ignored_spec_keys(spec, args.spec)
    with _executor(args) as executor:
        results = sweep(cases, executor, args.checkpoint, progress=not args.quiet)
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


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Any]:
    """The executor of ``--workers`` (:func:`confuciux.sweeps.process_pool`: its workers end with
    this process) or ``--scheduler`` (a Dask client, closed however the sweep ends), or None."""
    from .sweeps import process_pool

    if args.workers:
        with process_pool(args.workers) as pool:
            yield pool
        return
    if args.scheduler:
        try:
            import distributed
        except ImportError:
            raise ValueError("--scheduler needs Dask: pip install confuciux[dask]") from None
        connect: Any = distributed.Client  # untyped
        logging.disable(logging.ERROR)  # Dask's log of a lost connection: the error line says it once
        try:
            try:
                client = connect(args.scheduler, timeout=30)
            except OSError as exc:  # TimeoutError included
                raise OSError(f"--scheduler {args.scheduler}: cannot reach the Dask scheduler ({exc})") from None
            try:
                yield client
            finally:
                client.close()
        finally:
            logging.disable(logging.NOTSET)
        return
    yield None


def _add_sweep_parser(sub: Any) -> None:
    from .sweeps import SPEC_KEYS

    sw = sub.add_parser("sweep", help="run many searches from a TOML or JSON specification (resumable)",
                        description=f"Run the product of the values listed in SPEC (keys: {', '.join(SPEC_KEYS)}; "
                                    "see docs/howto-sweep.md).")  # fmt: skip
    sw.add_argument("spec", metavar="SPEC", help="a .toml (Python >= 3.11, or tomli) or .json specification")
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_integer(1, 4096), help="run on a pool of this many processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster (tcp://host:8786)")
    sw.add_argument("--checkpoint", metavar="FILE", type=output_path(make_folders=True),
                    help="JSON-lines file of finished cases: a rerun skips them")  # fmt: skip
    sw.add_argument("--csv", metavar="FILE", type=output_path(), help="write the results table to this CSV file")
    sw.add_argument("--json", metavar="FILE", type=output_path(stdout=True),
                    help="write every result to this JSON file ('-': stdout)")  # fmt: skip
    sw.add_argument("--quiet", action="store_true", help="no progress on stderr")
    sw.set_defaults(func=_cmd_sweep)


# --- compare -------------------------------------------------------------------------------------


def _dataflow_names(args: argparse.Namespace) -> list[str]:
    """The dataflows of ``--dataflow a,b`` — or of ``--dataflows a b``, the old spelling of
    compare and pareto, accepted with a warning for one release."""
    old = getattr(args, "dataflows_old", None)
    if old is None:
        return list(args.dataflow or ())
    if getattr(args, "dataflow_given", False):
        raise UsageError("--dataflows is the old spelling of --dataflow: give one of them")
    _warn(f"--dataflows is deprecated and will be removed in the next release; use --dataflow {','.join(old)}")
    if len(set(old)) != len(old):
        raise UsageError(f"--dataflows lists a dataflow twice: {' '.join(old)}")
    return list(old)


def _add_old_dataflows_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataflows", dest="dataflows_old", nargs="+", choices=DATAFLOWS, help=argparse.SUPPRESS)


class _Given(argparse.Action):
    """Stores the value and notes that the option was given (``<dest>_given``)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:  # fmt: skip
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare_dataflows

    args.dataflow = tuple(_dataflow_names(args))
    model = _load_model(args)
    name, opts = _platform_options(args, model)
    budgets = opts["budgets"]
    if name != "confuciux":  # an FPGA's fixed budgets are absolute already
        budgets = dict(make_platform(model, name, hardware=opts["hardware"]).budgets)
    if budgets and args.reference:
        raise UsageError("--reference (a budget from a dataflow) cannot be combined with --budget or an FPGA platform")
    flows = opts["dataflow"] if isinstance(opts["dataflow"], tuple) else (opts["dataflow"],)
    if args.mapping == "search":
        flows += (_mapping_search(args),)
    else:
        _no_mapping_options(args, "without --mapping search")
    reference = None if args.reference is None else _dataflows(args.reference)[0]
    comparison = compare_dataflows(
        model, flows, args.objective, args.method, budgets=budgets or None, reference=reference,
        per_layer=args.per_layer,
        constraint=opts["constraint"], mul=opts["mul"], hardware=opts["hardware"],
        deployment=opts["deployment"], epochs=500 if args.epochs is None else args.epochs,
        seed=0 if args.seed is None else args.seed, allow_impossible=opts["allow_impossible"],
    )  # fmt: skip
    if args.json:
        _write_text(args.json, json.dumps(comparison.to_dict(), indent=1))
    if args.plot:
        _save_plot(comparison.plot, args.plot)
    (sys.stderr if args.json == "-" else sys.stdout).write(comparison.summary() + "\n")
    return EXIT_OK if comparison.best is not None else EXIT_INFEASIBLE


def _add_compare_parser(sub: Any) -> None:
    cp = sub.add_parser("compare", help="compare dataflows fairly: every one under the same absolute budget")
    cp.add_argument("--model", default="mobilenet_v2", help=_model_help())
    _add_record_option(cp)
    _add_old_dataflows_option(cp)
    cp.add_argument("--per-layer", action="store_true",
                    help="also the design in which every layer picks its own dataflow (same budget)")  # fmt: skip
    cp.add_argument("--reference", type=_dataflow_list, metavar="DF",
                    help="dataflow whose --constraint/--mul budget every dataflow gets "
                         "(default: the first of --dataflow)")  # fmt: skip
    _add_platform_options(cp, ",".join(DATAFLOWS), "each is compared under the same budget")
    cp.add_argument("--objective", default="latency", choices=OBJECTIVES, help=_objective_help())
    from .compare import default_method

    proven = ", ".join(o for o in OBJECTIVES if default_method(o, "LP") == "exact")
    cp.add_argument("--method", default=None, choices=METHODS,
                    help=f"default: exact where it proves the optimum (LP {proven}), else confuciux")
    cp.add_argument("--epochs", type=_integer(1, 10**9), default=None, help="default 500")
    cp.add_argument("--seed", type=_integer(0), default=None, help="default 0")
    cp.add_argument("--json", metavar="FILE", type=output_path(stdout=True),
                    help="write the comparison to this JSON file ('-': stdout)")  # fmt: skip
    _add_searched_mapping_options(cp, "also compare every layer's mapping searched with its PEs, under the same "
                                      "budget (docs/mapping.md)")
    cp.add_argument(
        "--plot", metavar="PNG", type=_image_path, help="draw the comparison to this image (needs confuciux[plot])"
    )
    cp.set_defaults(func=_cmd_compare)


# --- pareto --------------------------------------------------------------------------------------


def _cmd_pareto(args: argparse.Namespace) -> int:
    from .pareto import pareto_front as pareto

    model = _load_model(args)
    entries = _dataflows(_dataflow_names(args) or _default_dataflow(args, model))
    args.dataflows = list(labels(entries))
    hardware = _hardware(args)
    allow = args.allow_impossible
    fronts = [
        pareto(model, Platform(d, hardware=hardware, deployment=args.deployment, allow_impossible=allow),
               objective=args.objective, resource=args.resource, max_points=args.max_points)
        for d in entries
    ]
    header = ["dataflow", "point", schema.column(args.resource), f"{args.objective}", "pes_total"]
    total = sum(len(f) for f in fronts)
    out = sys.stderr if args.json == "-" else sys.stdout
    out.write(f"{model.name}: Pareto-optimal ({args.resource}, {args.objective}) designs, {total} points\n")
    shown = []
    for d, front in zip(args.dataflows, fronts, strict=True):
        idx = front.spaced(PARETO_ROWS)
        pes_total = front.designs(idx)[0].sum(axis=1)
        shown += [[d, str(i), _fmt(front.resource[i]), _fmt(front.objective[i]), f"{int(p):,}"]
                  for i, p in zip(idx, pes_total, strict=True)]  # fmt: skip
    _print_table(shown, header, out)
    if len(shown) < total:
        out.write(f"({len(shown)} of {total} points shown, evenly spaced; --csv or --json writes them all)\n")
    if args.csv:
        _write_pareto_csv(args.csv, fronts, args.dataflows, header)
    if args.json:
        _write_lines(args.json, _pareto_json(fronts, args.dataflows, args.resource, args.objective))
    if args.plot:
        from .plot import plot_fronts

        _save_plot(lambda path: plot_fronts(fronts, labels=args.dataflows, logx=True).savefig(path, dpi=100), args.plot)
    return EXIT_OK if total else EXIT_INFEASIBLE


def _write_pareto_csv(path: str, fronts: list[Any], labels: list[str], header: list[str]) -> None:
    """One row per point (:meth:`ParetoFront.rows`, full precision) with its design: per-layer
    PEs, buffers and dataflows, space-separated."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*header, "pes", "buffers", "dataflows"])
        for name, front in zip(labels, fronts, strict=True):
            for i, r, o, _bound, pes_total, pes, buffers, flows in front.rows():
                w.writerow([name, i, r, o, pes_total, pes, buffers, flows])


def _pareto_json(fronts: list[Any], labels: list[str], resource: str, objective: str) -> Iterator[str]:
    """The fronts as JSON, a line per point: per front its points ([resource, objective]) and,
    in the same order, their designs ({"pes", "buffers", "dataflows"}, one entry per layer)."""
    yield "["
    for k, (name, front) in enumerate(zip(labels, fronts, strict=True)):
        head = {"dataflow": name, "resource": resource, "objective": objective, "layers": list(front.layers)}
        yield json.dumps(head)[:-1] + ', "points": ['  # the front's object, left open for its arrays
        n = len(front)
        for i, (r, o) in enumerate(zip(front.resource.tolist(), front.objective.tolist(), strict=True)):
            yield json.dumps([r, o]) + ("," if i < n - 1 else "")
        yield '], "designs": ['
        for block in front.iter_designs():
            for i, pes, buffers, flows in zip(*block, strict=True):
                design = {"pes": pes.tolist(), "buffers": buffers.tolist(),
                          "dataflows": [front.dataflow_names[d] for d in flows]}  # fmt: skip
                yield json.dumps(design) + ("," if i < n - 1 else "")
        yield "]}" + ("," if k < len(fronts) - 1 else "")
    yield "]"


def _write_lines(path: str, lines: Iterable[str]) -> None:
    """Lines to the file ``path``, or to stdout for ``-``, as they come (a big front is never
    held as one string)."""
    if path == "-":
        for line in lines:
            sys.stdout.write(line + "\n")
        return
    with open(path, "w") as f:
        for line in lines:
            f.write(line + "\n")


PARETO_ROWS = 25  # points per front printed on the terminal (a front can hold 100,000)


def _add_pareto_parser(sub: Any) -> None:
    pp = sub.add_parser("pareto", help="every Pareto-optimal (resource, objective) design: the trade-off curve")
    pp.add_argument("--model", default="mobilenet_v2", help=_model_help())
    _add_record_option(pp)
    pp.add_argument("--dataflow", default=None, type=_dataflow_list, action=_Given, metavar="DF[,DF...]",
                    help=_dataflow_help("one front each", "the model's own programs if it has some, else dla"))
    _add_old_dataflows_option(pp)
    pp.add_argument("--objective", default="latency", choices=OBJECTIVES, help=_objective_help())
    pp.add_argument("--resource", default="area", choices=BUDGET_KEYS)
    pp.add_argument("--deployment", default="LP", choices=DEPLOYMENTS)
    pp.add_argument("--hardware", default="default", choices=sorted(HARDWARE))
    _add_flag_options(pp)
    pp.add_argument("--allow-impossible", action="store_true",
                    help="keep the designs MAESTRO costs below a physical bound (as ConfuciuX does)")  # fmt: skip
    pp.add_argument("--csv", metavar="FILE", type=output_path(),
                    help="write the points and their per-layer designs to this CSV file")  # fmt: skip
    pp.add_argument("--json", metavar="FILE", type=output_path(stdout=True),
                    help="write the fronts and their designs to this JSON file ('-': stdout)")  # fmt: skip
    pp.add_argument("--max-points", type=_integer(1), default=None, metavar="N",
                    help="keep at most N evenly spaced points of each front (files, plot); default: every point")
    pp.add_argument(
        "--plot", metavar="PNG", type=_image_path, help="draw the fronts to this image (needs confuciux[plot])"
    )
    pp.set_defaults(func=_cmd_pareto)


def _cmd_evaluate_result(args: argparse.Namespace) -> int:
    """``evaluate --result r.json``: the saved design costed again from the file alone, and its
    objective, budget usage and feasibility derived again from those costs; every saved field
    that disagrees is named."""
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
    dataflow = "+".join(dict.fromkeys(label(d) for d in dataflows))
    costs = evaluate(model, saved.pes, saved.buffers, dataflows, hardware)
    out = sys.stdout
    out.write(f"{args.result}: {model.name}, {len(model)} layers, dataflow {dataflow}, hardware {hardware.name}\n")
    _print_table(_rows(model, saved.pes, saved.buffers, costs), [name for name, _ in COLUMNS], out)
    if args.csv:
        write_layer_csv(args.csv, saved.pes, saved.buffers, dataflows, costs, model)
    wrong = _cost_differences(costs, saved.costs) + _derived_differences(saved, costs, hardware, args.result)
    total = costs.total()
    out.write(f"total: runtime {_fmt(float(total.runtime))} cycles, energy {_fmt(float(total.energy))} nJ; ")
    if wrong:
        shown = "; ".join(wrong[:10]) + (f"; and {len(wrong) - 10} more" if len(wrong) > 10 else "")
        out.write(f"DIFFERENT from the saved result: {shown}\n")
    else:
        out.write("the saved costs, objective, budget usage and feasibility are reproduced\n")
    return EXIT_OK if not wrong and bool(np.all(costs.valid)) else EXIT_INFEASIBLE


def _saved_dataflows(saved: Result, path: str) -> tuple[DataflowLike, ...]:
    """Each layer's dataflow: the result's per-layer choice, else its platform's one dataflow."""
    if saved.dataflows:
        return tuple(saved.dataflows)
    dataflow = saved.platform.get("dataflow", "dla")
    if dataflow not in DATAFLOWS:
        raise ValueError(f"{path}: platform.dataflow must be one of {list(DATAFLOWS)}, got {dataflow!r}")
    return (str(dataflow),) * len(saved.pes)


def _same(a: Any, b: Any, exact: bool = False) -> np.ndarray:
    """Elementwise: equal (NaN equal to NaN), or within 1e-12 relative unless ``exact``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        close = a == b if exact else np.isclose(a, b, rtol=1e-12, atol=0)
    return np.asarray(close | (np.isnan(a) & np.isnan(b)))


def _cost_differences(new: LayerCosts, saved: LayerCosts) -> list[str]:
    """Every saved cost of every layer against the new one (integer counts exactly, the rest to
    1e-12): ``costs.runtime[3] (saved 1, costed 2)`` for each that differs."""
    out = []
    for f in (*schema.MAIN, "valid", "status"):
        a, b = np.asarray(getattr(saved, f)), np.asarray(getattr(new, f))
        for i in np.flatnonzero(~_same(a, b, exact=f in schema.COUNTS or f in ("valid", "status"))):
            out.append(f"costs.{f}[{i}] (saved {_fmt(float(a[i]))}, costed {_fmt(float(b[i]))})")
    return out


def _derived_differences(saved: Result, costs: LayerCosts, hardware: Hardware, path: str) -> list[str]:
    """The objective, the usage of each budget and feasibility, derived again from ``costs``."""
    from .budgets import Budgets
    from .search.objectives import OBJECTIVES as TABLE

    deployment = saved.platform.get("deployment", "LP")
    if deployment not in DEPLOYMENTS:
        raise ValueError(f"{path}: platform.deployment must be one of {list(DEPLOYMENTS)}, got {deployment!r}")
    objective = TABLE[saved.objective]
    value = float(objective.value({name: np.asarray(costs[name]) for name in objective.reads}))
    budgets = Budgets({k: u["budget"] for k, u in saved.constraint_used.items()}, deployment, hardware)
    per = {k: np.asarray(getattr(costs, k), dtype=np.float64) for k in ("area", "power", "l1_bytes", "l2_bytes")}
    per["pes"] = np.asarray(saved.pes, dtype=np.float64)
    usage = {k: float(v) for k, v in budgets.usage(per).items()}
    usable = costs.valid if saved.platform.get("allow_impossible") is True else costs.physical
    feasible = bool(np.all(usable)) and all(usage[k] <= u["budget"] for k, u in saved.constraint_used.items())
    out = []
    if not _same(saved.objective_value, value):
        out.append(f"objective_value (saved {saved.objective_value:.10g}, derived {value:.10g})")
    for k, u in saved.constraint_used.items():
        for field, derived in (("used", usage[k]), ("fraction", usage[k] / u["budget"])):
            if not _same(u[field], derived):
                out.append(f"constraint_used.{k}.{field} (saved {u[field]:.10g}, derived {derived:.10g})")
    if saved.feasible != feasible:
        out.append(f"feasible (saved {str(saved.feasible).lower()}, derived {str(feasible).lower()})")
    return out


def _cmd_import(args: argparse.Namespace) -> int:
    """``import NET.onnx -o NET.csv|NET.m``: convert a model (any format the registry reads, or a
    zoo name, to any it writes) and print what became of each op."""
    source, output = args.source, args.output
    made: Mapping[str, int] = {}
    # the reader options given: each must be one the source's reader takes (a zoo model takes none)
    given = {k: v for k, v in (("batch", args.batch), ("strict", False if args.no_strict else None)) if v is not None}
    flags = {"batch": "--batch", "strict": "--no-strict"}
    if is_model_file(source):
        fmt = formats.format_for(source)
        unused = [flags[k] for k in given if k not in fmt.options] + (["--record"] if args.record else [])
        if unused:
            raise UsageError(f"{', '.join(unused)} does not apply to {fmt.description} files ({source})")
        try:
            net = formats.reader_for(source)(source, **given)
        except ImportError as exc:  # an optional extra is missing: a one-line error, not a traceback
            raise ValueError(str(exc)) from None
        model, made = Model.from_network(net), net.made
    elif given:
        raise UsageError(f"{', '.join(flags[k] for k in given)} does not apply to a zoo model ({source})")
    else:
        model = _load_model(args, source)
    if args.name:
        model = Model(args.name, model.layers, model.skipped, model.custom_dataflow)
    model.write(output)
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
    reads, writes = ", ".join(formats.suffixes()), ", ".join(formats.suffixes(writable=True))
    im = sub.add_parser("import", help=f"convert a model file ({reads}) or a zoo model to a {writes} file")
    im.add_argument("source", help=f"a model file ({formats.describe()}) or a zoo name")
    _add_record_option(im)
    writable = output_path(check=lambda path: formats.format_for(path, write=True))
    im.add_argument("-o", "--output", required=True, type=writable,
                    help=f"the file to write ({formats.describe(writable=True)})")  # fmt: skip
    im.add_argument(
        "--batch", type=_integer(1), help="the batch size for a dynamic (symbolic) batch dimension (default 1)"
    )
    im.add_argument("--no-strict", action="store_true", help="skip (and count) compute ops with no layer form")
    im.add_argument("--name", help="the model's name (default: the file's)")
    im.set_defaults(func=_cmd_import)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="confuciux",
        description="Per-layer PE and buffer assignment for DNN accelerators, on an exact MAESTRO cost model.",
        epilog="exit codes: 0 done, 1 error, 2 usage, 3 infeasible, 130 interrupted, 141 output closed, 143 terminated",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="cost of a model on one hardware assignment, per layer")
    ev.add_argument("--model", help=_model_help())
    _add_record_option(ev)
    ev.add_argument("--result", help="re-evaluate the design saved in this JSON file (explore --json)")
    ev.add_argument("--dataflow", type=_dataflow_list, metavar="DF[,DF...]",
                    help=_dataflow_help("one per layer", "the model's own programs if it has some, else dla"))
    ev.add_argument("--pes", type=_integer(1), nargs="+", help="PEs: one value, or one per layer (default 64)")
    ev.add_argument("--buffers", type=_integer(1), nargs="+",
                    help="buffer tiles (KTileSz): one value or one per layer (default 4)")  # fmt: skip
    ev.add_argument("--buffer", dest="buffer_old", type=_integer(1), nargs="+", help=argparse.SUPPRESS)
    ev.add_argument("--hardware", choices=sorted(HARDWARE), help="default: default")
    _add_flag_options(ev)
    ev.add_argument("--csv", type=output_path(), help="also write the per-layer table to this CSV file (with --result "
                                                      "too: the design costed again)")  # fmt: skip
    ev.set_defaults(func=_cmd_evaluate)

    z = sub.add_parser("zoo", help="list the built-in models")
    z.set_defaults(func=_cmd_zoo)
    d = sub.add_parser("dataflows", help="list the dataflow presets, or print their MAESTRO programs")
    d.add_argument("names", nargs="*", metavar="NAME", help="print these presets' programs (MAESTRO syntax)")
    d.set_defaults(func=_cmd_dataflows)

    ex = sub.add_parser("explore", help="search per-layer PEs and buffers under a budget")
    ex.add_argument("--model", default="mobilenet_v2", help=_model_help())
    _add_record_option(ex)
    _add_platform_options(ex, dataflow_help="each layer then picks its own (layer-pipelined)")
    ex.add_argument("--objective", default="latency", choices=OBJECTIVES, help=_objective_help())
    ex.add_argument("--method", default="confuciux", choices=METHODS)
    ex.add_argument("--epochs", type=_integer(1, 10**9), default=None, help="default 500")
    ex.add_argument("--seed", type=_integer(0), default=None, help="default 0")
    ex.add_argument("--json", metavar="FILE", type=output_path(stdout=True),
                    help="write the result to this JSON file ('-': to stdout, and the summary to stderr)")  # fmt: skip
    ex.add_argument(
        "--plot", metavar="PNG", type=_image_path, help="draw the design to this image (needs confuciux[plot])"
    )
    ex.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _add_searched_mapping_options(ex, "search every layer's mapping (its dataflow program) with its PEs "
                                      "(docs/mapping.md); needs an absolute --budget or an FPGA --platform")
    ex.set_defaults(func=_cmd_explore)
    _add_map_parser(sub)
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
    stdout, sys.stdout = sys.stdout, WholeWrites(sys.stdout)
    try:
        with handle_signals() as received:
            code = _run(args, parser)
        return EXIT_TERMINATED if received and code == EXIT_INTERRUPTED else code
    finally:
        sys.stdout = stdout


def console_main() -> int:
    """The ``confuciux`` console script and ``python -m confuciux``: :func:`main` with Ctrl-C
    handled once (a second one ends the process at once, quietly)."""

    def interrupted() -> int:
        _error("interrupted")
        return EXIT_INTERRUPTED

    return console(main, interrupted)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            _need_plotting(args)
            check_outputs(args)
            code = int(args.func(args))
            sys.stdout.flush()  # here, so that a reader gone away is handled below, not at exit
        return code
    except KeyboardInterrupt as exc:
        _error("terminated" if isinstance(exc, Terminated) else "interrupted")
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
