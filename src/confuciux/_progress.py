"""Progress on a text stream, for the command line and ``sweep(progress=True)``.

On a terminal: one bar redrawn in place with ``\\r`` (cut to the terminal's width, at most every
:data:`REDRAW` seconds).  Anywhere else (a log file, a pipe): plain lines, at most one every
:data:`INTERVAL` seconds plus the last one, so a log holds readable lines instead of one long line
of carriage returns.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import IO

__all__ = ["INTERVAL", "REDRAW", "ProgressLine"]

#: Seconds between two progress lines when the stream is not a terminal.
INTERVAL = 10.0
#: Seconds between two redraws of the bar on a terminal.
REDRAW = 0.1
_BAR = 20  # characters of the bar


class ProgressLine:
    """``update(done, total, text)`` after each step; ``close()`` at the end (ends the line).
    ``text`` may be a function, called only when the line is drawn."""

    def __init__(self, stream: IO[str], interval: float | None = None) -> None:
        self.stream = stream
        try:
            self.tty = bool(stream.isatty())
        except (AttributeError, ValueError):  # a closed or minimal stream
            self.tty = False
        self.interval = interval if interval is not None else REDRAW if self.tty else INTERVAL
        self.last = -float("inf")  # when the last line was drawn
        self.width = 0  # characters drawn on the terminal line
        self.pending: tuple[int, int, str | Callable[[], str]] | None = None  # the latest state not drawn

    def update(self, done: int, total: int, text: str | Callable[[], str]) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.interval:
            self.pending = (done, total, text)
            return
        line = _line(done, total, text)
        if self.tty:
            line = line[: shutil.get_terminal_size((100, 20)).columns - 1]
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last, self.pending = now, None

    def close(self) -> None:
        """End the progress: the latest state is drawn if it was held back (a run cut short), and
        the terminal's line is ended."""
        if self.pending is not None:
            self.last = -float("inf")
            self.update(*self.pending)
        if self.tty and self.width:
            self.stream.write("\n")
        self.width = 0
        self.stream.flush()


def _line(done: int, total: int, text: str | Callable[[], str]) -> str:
    filled = _BAR * min(done, total) // max(total, 1)
    return f"[{'#' * filled}{'.' * (_BAR - filled)}] {text if isinstance(text, str) else text()}"
