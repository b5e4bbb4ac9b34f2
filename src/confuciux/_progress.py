"""Progress on a text stream, for the command line and ``sweep(progress=True)``.

On a terminal: one bar redrawn in place with ``\\r`` (cut to the terminal's width).  Anywhere
else (a log file, a pipe): plain lines, at most one every :data:`INTERVAL` seconds plus the last
one, so a log holds readable lines instead of one long line of carriage returns.
"""

from __future__ import annotations

import shutil
import time
from typing import IO

__all__ = ["INTERVAL", "ProgressLine"]

#: Seconds between two progress lines when the stream is not a terminal.
INTERVAL = 10.0
_BAR = 20  # characters of the bar


class ProgressLine:
    """``update(done, total, text)`` after each step; ``close()`` at the end (ends the line)."""

    def __init__(self, stream: IO[str], interval: float = INTERVAL) -> None:
        self.stream = stream
        self.interval = interval
        try:
            self.tty = bool(stream.isatty())
        except (AttributeError, ValueError):  # a closed or minimal stream
            self.tty = False
        self.last = -float("inf")  # when the last line was written (not on a terminal)
        self.width = 0  # characters drawn on the terminal line
        self.pending = ""  # the latest line not written yet (not on a terminal)

    def update(self, done: int, total: int, text: str) -> None:
        filled = _BAR * min(done, total) // max(total, 1)
        line = f"[{'#' * filled}{'.' * (_BAR - filled)}] {text}"
        if self.tty:
            columns = shutil.get_terminal_size((100, 20)).columns - 1
            line = line[:columns]
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
            self.stream.flush()
            return
        now = time.monotonic()
        if done >= total or now - self.last >= self.interval:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last, self.pending = now, ""
        else:
            self.pending = line

    def close(self) -> None:
        """End the progress: the terminal's line is ended; elsewhere the latest state is written
        if it was held back (a run cut short)."""
        if self.tty and self.width:
            self.stream.write("\n")
        elif self.pending:
            self.stream.write(self.pending + "\n")
        self.width, self.pending = 0, ""
        self.stream.flush()
