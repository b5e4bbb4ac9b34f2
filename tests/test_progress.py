"""Progress lines (module confuciux._progress): a bar redrawn in place on a terminal, plain
periodic lines anywhere else."""

from __future__ import annotations

import io

from confuciux._progress import ProgressLine


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_gets_one_line_redrawn_in_place(monkeypatch):
    out = _Terminal()
    line = ProgressLine(out)
    for done in range(0, 11):
        line.update(done, 10, f"epoch {done}/10")
    line.close()
    text = out.getvalue()
    assert text.startswith("\r[") and text.count("\n") == 1 and text.endswith("] epoch 10/10\n")
    assert "[" + "#" * 20 + "]" in text
    out = _Terminal()
    line = ProgressLine(out)
    line.update(0, 2, "a longer text")
    line.update(2, 2, "short")
    assert out.getvalue().split("\r")[2] == f"[{'#' * 20}] short" + " " * 8  # the longer line is overwritten
    clock = iter(0.05 * i for i in range(100))  # a redraw at most every 0.1 s
    monkeypatch.setattr("confuciux._progress.time.monotonic", lambda: next(clock))
    out = _Terminal()
    line = ProgressLine(out)
    for done in range(7):
        line.update(done, 10, lambda d=done: f"epoch {d}/10")  # type: ignore[misc]
    line.close()  # cut short: epoch 6 is drawn
    assert [t.split("] ")[1].strip() for t in out.getvalue().split("\r")[1:]] == [f"epoch {d}/10" for d in (0, 2, 4, 6)]


def test_log_file_gets_periodic_plain_lines_and_the_last(monkeypatch):
    out = io.StringIO()
    clock = iter([0.0, 1.0, 2.0, 11.0, 12.0, 25.0] + [26.0] * 200)
    monkeypatch.setattr("confuciux._progress.time.monotonic", lambda: next(clock))
    line = ProgressLine(out, interval=10.0)
    for done in range(6):
        line.update(done, 1000, f"epoch {done}")
    line.close()  # cut short at epoch 5: its state is the last line
    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines() == [f"[{'.' * 20}] epoch {e}" for e in (0, 3, 5)]
    out = io.StringIO()
    line = ProgressLine(out, interval=1e9)
    for done in range(101):
        line.update(done, 100, f"epoch {done}")
    line.close()
    assert out.getvalue().splitlines() == [f"[{'.' * 20}] epoch 0", f"[{'#' * 20}] epoch 100"]
