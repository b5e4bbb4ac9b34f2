"""File formats: readers and writers for MAESTRO model files, ConfuciuX CSV files and ONNX, and
the registry that picks one by a file's suffix.

The modules turn text (or an ONNX graph) into plain layer descriptions — dictionaries of
:class:`~confuciux.workload.Layer` arguments — and back; :mod:`confuciux.workload` builds the
layers.  They import nothing from the rest of the package but :mod:`confuciux.dataflow` (the
directive language, which imports nothing), so the layering stays one-way.

:data:`FORMATS` is the one table of model file formats: every reader has the signature
``read(path, **options) -> Network`` and every writer ``write(name, layers, file)``.
``Model.read`` / ``Model.write``, :func:`confuciux.presets.load_model`, ``confuciux import``,
sweep specifications and the command line's help texts all take the suffixes from here.  Adding
a format: its reader and/or writer (in a module of this package) and one :class:`Format` entry
(:func:`register` at run time).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..dataflow.bind import check_layer
from . import maestro, onnx, table

__all__ = ["Network", "Format", "FORMATS", "register", "unregister", "format_for", "reader_for", "writer_for",
           "suffixes", "describe", "read_text", "csv_network", "maestro_network", "onnx_network"]  # fmt: skip


@dataclass(frozen=True)
class Network:
    """A model file as plain data, what every reader returns.  ``layers``: Layer keyword
    arguments in order; ``where``: for each layer, where it came from (``"net.csv, line 3"``), for
    error messages; ``skipped`` and ``made``: for an importer, op type → operators that made no
    layer / layers made; ``custom_dataflow``: per layer, whether the file gave it its own
    dataflow (empty when the format cannot); ``model_args``: any further keyword arguments of
    :class:`~confuciux.workload.Model` the file carries (e.g. per-layer dataflow programs)."""

    name: str
    layers: tuple[dict[str, Any], ...]
    where: tuple[str, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)
    made: Mapping[str, int] = field(default_factory=dict)
    custom_dataflow: tuple[bool, ...] = ()
    model_args: Mapping[str, Any] = field(default_factory=dict)


#: ``read(path, **options) -> Network``: a ValueError naming the file (and line, layer, field)
#: for what it cannot read; a TypeError for an option it does not take.
Reader = Callable[..., Network]
#: ``write(name, layers, file)``: the model ``name`` with ``layers`` (Layer objects) to a text file.
Writer = Callable[[str, Sequence[maestro.LayerLike], IO[str]], None]


@dataclass(frozen=True)
class Format:
    """One model file format: ``name``, the file ``suffixes`` it owns (lower case, with the dot),
    a ``description`` for help texts, its ``read`` and ``write`` functions (None where it has
    none), the reader's keyword ``options``, and the pip extra it needs (``extra``)."""

    name: str
    suffixes: tuple[str, ...]
    description: str
    read: Reader | None = None
    write: Writer | None = None
    options: tuple[str, ...] = ()
    extra: str | None = None


def read_text(path: str | os.PathLike[str]) -> tuple[str, str, str]:
    """(text, the path for messages, the file's stem) of a UTF-8 text file; ValueError naming it."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p), p.stem
    except UnicodeDecodeError as exc:
        raise ValueError(f"{p}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None


def _no_options(fmt: str, options: Mapping[str, Any]) -> None:
    if options:
        raise TypeError(f"the {fmt} reader takes no options, got {sorted(options)}")


def _read_csv(path: str | os.PathLike[str], **options: Any) -> Network:
    _no_options("csv", options)
    text, source, stem = read_text(path)
    return csv_network(text, source, stem)


def csv_network(text: str, source: str, name: str) -> Network:
    """A ConfuciuX CSV file's text as a :class:`Network` called ``name``."""
    rows = table.parse(text, source)
    return Network(name, tuple(args for _, args in rows), tuple(f"{source}, line {line}" for line, _ in rows))


def _write_csv(name: str, layers: Sequence[maestro.LayerLike], f: IO[str]) -> None:
    table.write(layers, f)


def _read_maestro(path: str | os.PathLike[str], **options: Any) -> Network:
    _no_options("maestro", options)
    text, source, _ = read_text(path)
    return maestro_network(text, source)


def maestro_network(text: str, source: str) -> Network:
    """A MAESTRO model file's text as a :class:`Network`; each layer's ``Dataflow`` block, checked
    against the layer as the file writes it (MAESTRO's rules: an R/S tile that is not the whole
    filter, ``Sz()`` of a dimension the layer lacks, a map of one), and the file's ``Constant``s
    go in ``model_args`` (``dataflows``, ``constants``)."""
    net = maestro.parse(text, source)
    layers, where = [], []
    for p in net.layers:
        try:
            args = maestro.layer_arguments(p)
        except ValueError as exc:
            raise ValueError(f"{source}, line {p.line}: layer {p.name!r}: {exc}") from None
        if p.dataflow is not None:
            try:
                check_layer(p.dataflow, p.dims)  # the Dimensions as MAESTRO holds them
            except ValueError as exc:
                raise ValueError(f"{source}, layer {p.name!r}, {exc}") from None  # exc names the line
        layers.append({**args, "name": p.name})
        where.append(f"{source}, line {p.line}")
    dataflows = tuple(p.dataflow for p in net.layers)
    more: dict[str, Any] = {"dataflows": dataflows} if any(df is not None for df in dataflows) else {}
    if net.constants:
        more["constants"] = net.constants
    flags = tuple(df is not None for df in dataflows)
    return Network(net.name, tuple(layers), tuple(where), custom_dataflow=flags, model_args=more)


def _write_maestro(name: str, layers: Sequence[maestro.LayerLike], f: IO[str]) -> None:
    # a Model passes itself (Model.write): its programs and constants go with its layers
    f.write(maestro.write_network(name, layers, getattr(layers, "dataflows", ()), getattr(layers, "constants", None)))


def _read_onnx(path: str | os.PathLike[str], *, batch: int = 1, strict: bool = True) -> Network:
    return onnx_network(onnx.import_onnx(path, batch=batch, strict=strict))


def onnx_network(imported: onnx.Imported) -> Network:
    """An :class:`~confuciux.formats.onnx.Imported` as a :class:`Network`."""
    where = tuple(f"{imported.source}: node {args.get('name', '')!r}" for args in imported.layers)
    return Network(imported.name, tuple(imported.layers), where, imported.skipped, imported.made)


#: suffix-owning formats by name, in the order help texts list them.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", (".csv",), "ConfuciuX .csv (K,C,Y,X,R,S,T)", _read_csv, _write_csv),
        Format("maestro", (".m",), "MAESTRO .m", _read_maestro, _write_maestro),
        Format("onnx", (".onnx",), "ONNX .onnx", _read_onnx, None, ("batch", "strict"), "onnx"),
    )
}
_BUILT_IN = frozenset(FORMATS)


def register(fmt: Format) -> None:
    """Add a format; its suffixes must be free."""
    if not isinstance(fmt, Format):
        raise TypeError(f"expected a Format, got {type(fmt).__name__}")
    taken = [s for s in fmt.suffixes if s in _by_suffix()]
    if fmt.name in FORMATS or taken or not fmt.suffixes:
        raise ValueError(f"format {fmt.name!r}: its name or suffixes {list(fmt.suffixes)} are taken (or none given)")
    if any(not s.startswith(".") or s != s.lower() for s in fmt.suffixes):
        raise ValueError(f"format {fmt.name!r}: suffixes are lower case and start with a dot, got {fmt.suffixes}")
    FORMATS[fmt.name] = fmt


def unregister(name: str) -> None:
    """Remove a format added with :func:`register` (the built-in ones stay)."""
    if name in _BUILT_IN:
        raise ValueError(f"{name!r} is a built-in format")
    del FORMATS[name]


def _by_suffix() -> dict[str, Format]:
    return {s: f for f in FORMATS.values() for s in f.suffixes}


def suffixes(*, writable: bool = False) -> tuple[str, ...]:
    """The suffixes of the formats that can be read (``writable``: written)."""
    return tuple(s for s, f in _by_suffix().items() if (f.write if writable else f.read) is not None)


def describe(*, writable: bool = False) -> str:
    """The formats in words for help texts: ``"ConfuciuX .csv, MAESTRO .m or ONNX .onnx"``."""
    names = [f.description.split(" (")[0] for f in FORMATS.values()
             if (f.write if writable else f.read) is not None]  # fmt: skip
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def format_for(path: str | os.PathLike[str], *, write: bool = False) -> Format:
    """The format of ``path`` by its suffix (any case) that reads it (``write``: writes it);
    ValueError naming the file and the suffixes confuciux reads (writes) otherwise."""
    suffix = os.path.splitext(os.fspath(path))[1]
    fmt = _by_suffix().get(suffix.lower())
    if fmt is None or (fmt.write if write else fmt.read) is None:
        verb = "writes" if write else "reads"
        raise ValueError(f"{os.fspath(path)}: confuciux {verb} no {suffix or 'suffix-less'!r} files; it {verb} "
                         f"{', '.join(suffixes(writable=write))} ({describe(writable=write)})")  # fmt: skip
    return fmt


def reader_for(path: str | os.PathLike[str]) -> Reader:
    """The reader of ``path``'s format (:func:`format_for`)."""
    read = format_for(path).read
    assert read is not None  # format_for checked it
    return read


def writer_for(path: str | os.PathLike[str]) -> Writer:
    """The writer of ``path``'s format (:func:`format_for` with ``write``)."""
    write = format_for(path, write=True).write
    assert write is not None
    return write
