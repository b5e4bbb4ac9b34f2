"""Command line: ``confuciux evaluate``, ``confuciux zoo`` and ``confuciux explore``."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import IO, Sequence

import numpy as np

from .cost import DATAFLOWS, STATUS, LayerCosts, evaluate
from .hardware import Hardware

HARDWARE = {"default": Hardware.default, "maestro": Hardware.maestro}


def _load_model(spec: str):
    """A zoo name, a ConfuciuX CSV (``K,C,Y,X,R,S,T``) or a MAESTRO ``.m`` model file."""
    from . import zoo
    from .workload import Model

    if spec.endswith(".csv"):
        return Model.from_csv(spec)
    if spec.endswith(".m"):
        return Model.from_maestro(spec)
    return zoo.load(spec)


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


def _rows(model, pes: np.ndarray, buffers: np.ndarray, costs: LayerCosts) -> list[list[str]]:
    rows = []
    for i, layer in enumerate(model):
        row = [layer.name or str(i), layer.kind, *(str(getattr(layer, d)) for d in "KCYXRS")]
        row += [str(int(pes[i])), str(int(buffers[i]))]
        row += [_fmt(float(getattr(costs, f)[i])) for _, f in COLUMNS if f is not None]
        row.append(STATUS[int(costs.status[i])])
        rows.append(row)
    return rows


def _print_table(rows: list[list[str]], header: list[str], out: IO[str]) -> None:
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(header)]
    out.write("  ".join(h.rjust(w) for h, w in zip(header, widths)) + "\n")
    for r in rows:
        out.write("  ".join(c.rjust(w) for c, w in zip(r, widths)) + "\n")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    hardware = HARDWARE[args.hardware]()
    n = len(model)
    pes = np.broadcast_to(np.asarray(args.pes, dtype=np.int64), (n,)) if len(args.pes) in (1, n) else None
    buffers = np.broadcast_to(np.asarray(args.buffer, dtype=np.int64), (n,)) if len(args.buffer) in (1, n) else None
    if pes is None or buffers is None:
        raise ValueError(f"--pes and --buffer take one value or one per layer ({n} layers)")
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
        f"PEs {int(pes.sum()):,}"
    )
    n_bad = int(n - np.count_nonzero(costs.valid))
    out.write(f"; {n_bad} invalid layer(s)\n" if n_bad else "\n")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([[c.replace(",", "") for c in r] for r in rows])
    return 0 if n_bad == 0 else 3


def _cmd_zoo(args: argparse.Namespace) -> int:
    from . import zoo

    for name in zoo.names():
        m = zoo.load(name)
        sys.stdout.write(f"{name:18s} {len(m):4d} layers  {m.macs / 1e9:10.3f} GMACs\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="confuciux",
        description="Per-layer PE and buffer assignment for DNN accelerators, on an exact MAESTRO cost model.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="cost of a model on one hardware assignment, per layer")
    ev.add_argument("--model", required=True, help="zoo name, ConfuciuX .csv or MAESTRO .m file")
    ev.add_argument("--dataflow", default="dla", choices=DATAFLOWS)
    ev.add_argument("--pes", type=int, nargs="+", default=[64], help="PEs: one value, or one per layer")
    ev.add_argument("--buffer", type=int, nargs="+", default=[4], help="buffer (KTileSz): one value or one per layer")
    ev.add_argument("--hardware", default="default", choices=sorted(HARDWARE))
    ev.add_argument("--csv", help="also write the per-layer table to this CSV file")
    ev.set_defaults(func=_cmd_evaluate)

    z = sub.add_parser("zoo", help="list the built-in models")
    z.set_defaults(func=_cmd_zoo)

    try:
        from .search_cli import add_explore_parser
    except ImportError:  # the search is optional for the cost-model commands
        pass
    else:
        add_explore_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, TypeError, OSError) as exc:
        sys.stderr.write(f"confuciux: error: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
