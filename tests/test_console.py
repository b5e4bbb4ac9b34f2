"""The command line's dealings with the process (module confuciux._console): whole writes, output
files checked before the work."""

from __future__ import annotations

import argparse
import io
import os

import pytest

from confuciux._console import OutputPath, WholeWrites, check_outputs, output_path


class _ShortWrites(io.BytesIO):
    """A binary buffer that takes at most 5 bytes a call (as a pipe whose reader is going away)."""

    def write(self, data):  # type: ignore[no-untyped-def, override]
        return super().write(bytes(data[:5]))


def test_whole_writes_write_everything_a_short_writer_takes_in_pieces():
    stream = io.TextIOWrapper(_ShortWrites(), encoding="utf-8")
    out = WholeWrites(stream)
    assert out.write("0123456789abcdefghij") == 20
    out.flush()
    assert stream.buffer.getvalue() == b"0123456789abcdefghij"  # type: ignore[attr-defined]
    plain = io.StringIO()
    WholeWrites(plain).write("no buffer")  # a stream without a binary buffer is written as it is
    assert plain.getvalue() == "no buffer"


def test_output_path_checks_the_name_while_parsing(tmp_path):
    parse = output_path((".csv", ".m"))
    assert parse("x.CSV") == "x.CSV" and isinstance(parse("x.m"), OutputPath)
    for bad in ("x.txt", str(tmp_path), "-", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(bad)
    assert output_path(stdout=True)("-") == "-"


def test_check_outputs_before_the_work(tmp_path):
    def args(**values: str) -> argparse.Namespace:
        return argparse.Namespace(**{k: output_path(make_folders=k == "checkpoint")(v) for k, v in values.items()},
                                  other="not/an/output")  # fmt: skip

    check_outputs(args(json=str(tmp_path / "r.json"), checkpoint=str(tmp_path / "a" / "b" / "ck.jsonl")))
    assert list(tmp_path.iterdir()) == []  # nothing is created by the check
    with pytest.raises(OSError, match=r"--json .*nodir/r.json: No such file or directory: .*nodir \(nothing was run\)"):
        check_outputs(args(json=str(tmp_path / "nodir" / "r.json")))
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match="--csv .*: Not a directory"):
        check_outputs(args(csv=str(tmp_path / "file" / "r.csv")))
    if os.geteuid() != 0:  # root may write anywhere
        (tmp_path / "ro").mkdir(mode=0o500)
        with pytest.raises(OSError, match="--json .*: Permission denied"):
            check_outputs(args(json=str(tmp_path / "ro" / "r.json")))
