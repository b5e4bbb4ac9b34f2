"""What the command line needs from the process around it: whole writes to standard output,
signals, and output files checked before any work.

* Standard output (:class:`WholeWrites`): every write is written in full or fails.  Python's
  buffered writer returns a short count when the reader of a pipe goes away in the middle of a
  large write, and its text layer drops the rest without a word (``pareto --json - | head -c
  100`` exited 0 with its output cut); here the rest is written again, which raises
  BrokenPipeError, so a closed pipe is exit 141 whatever the size of the output.
* Signals (:func:`handle_signals`): SIGTERM raises :class:`Terminated`, a KeyboardInterrupt, so
  that a search stops as on Ctrl-C (keeping its best design) and every ``finally`` runs (a
  process pool is killed, a Dask client closed); the exit code is then 143.  The console script
  (:func:`console`) takes Ctrl-C once: a second one ends the process at once, quietly.
* Output files (:func:`output_path`, :func:`check_outputs`): every file a command writes is
  named by an option whose argparse type is :func:`output_path`; its name is checked while the
  arguments are parsed (a usage error) and whether it can be written right after (an error),
  both before the work — a long search never ends in "No such file or directory".
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

__all__ = ["EXIT_TERMINATED", "OutputPath", "Terminated", "WholeWrites", "check_outputs", "handle_signals",
           "interrupt_once", "output_path"]  # fmt: skip

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: handled wherever Ctrl-C is, so a run stops cleanly."""


@contextlib.contextmanager
def handle_signals() -> Iterator[list[int]]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only; the previous
    handler is restored after).  Yields a list that holds the signals received."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def terminate(signum: int, frame: Any) -> None:
        received.append(signum)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupt_once(signum: int, frame: Any) -> None:
    """A SIGINT handler: KeyboardInterrupt the first time; from then on the default action (a
    second Ctrl-C ends the process at once, without a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    raise KeyboardInterrupt


def console(main: Callable[[], int], interrupted: Callable[[], int]) -> int:
    """Run the command line ``main`` as the console script does: Ctrl-C handled once (see
    :func:`interrupt_once`); a KeyboardInterrupt that escapes ``main`` (a Ctrl-C between two of
    its statements) gives ``interrupted()``.  When this returns, SIGINT has its default action."""
    try:
        try:
            signal.signal(signal.SIGINT, interrupt_once)
            return main()
        finally:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
    except KeyboardInterrupt:
        return interrupted()


class WholeWrites(io.TextIOBase):
    """A text stream over ``stream`` whose writes go to its binary buffer in full (see the module
    docstring); streams without a binary buffer (a StringIO) are written as they are."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream: Any = stream  # a TextIOWrapper, or any text stream

    def write(self, text: str) -> int:
        buffer = getattr(self.stream, "buffer", None)
        if buffer is None:
            return int(self.stream.write(text))
        self.stream.flush()  # text the stream still holds goes first
        view = memoryview(text.encode(self.stream.encoding or "utf-8", self.stream.errors or "strict"))
        while view:
            n = buffer.write(view)
            view = view[len(view) if n is None else n :]  # None: a non-blocking stream took it all
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())

    def fileno(self) -> int:
        return int(self.stream.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(self.stream.encoding)


class OutputPath(str):
    """A file name given to an output option (see :func:`output_path`)."""

    make_folders = False


def output_path(
    suffixes: tuple[str, ...] = (),
    stdout: bool = False,
    make_folders: bool = False,
    check: Callable[[str], object] | None = None,
) -> Callable[[str], OutputPath]:
    """An argparse type for an option that names a file the command writes: ``-`` (standard output)
    when ``stdout``; a name ending in one of ``suffixes`` (any case) when given, and that ``check``
    (a function raising ValueError with the message) accepts; never a directory.  ``make_folders``:
    missing folders are created by the writer (checked up to the first folder that exists)."""

    def parse(text: str) -> OutputPath:
        if text == "-" and stdout:
            return OutputPath(text)
        if text == "" or os.path.isdir(text):
            raise argparse.ArgumentTypeError(f"{_clip(text)} is a directory, expected a file name")
        if suffixes and os.path.splitext(text)[1].lower() not in suffixes:
            raise argparse.ArgumentTypeError(
                f"expected a file name ending in one of {list(suffixes)}, got {_clip(text)}"
            )
        try:
            if check is not None:
                check(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        path = OutputPath(text)
        path.make_folders = make_folders
        return path

    parse.__name__ = "file name"
    return parse


def check_outputs(args: argparse.Namespace) -> None:
    """Before any work: every :class:`OutputPath` among ``args`` can be written (its folder exists
    and is writable, or the file is).  OSError naming the option and the file otherwise."""
    for dest, value in vars(args).items():
        if not isinstance(value, OutputPath) or value == "-":
            continue
        flag = "--" + dest.replace("_", "-")
        if os.path.exists(value):
            if not os.access(value, os.W_OK):
                raise OSError(errno.EACCES, f"{flag} {value}: {os.strerror(errno.EACCES)} (nothing was run)")
            continue
        folder = os.path.dirname(os.path.abspath(value))
        while value.make_folders and not os.path.exists(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        if not os.path.isdir(folder):
            code = errno.ENOENT if not os.path.exists(folder) else errno.ENOTDIR
            raise OSError(code, f"{flag} {value}: {os.strerror(code)}: {folder} (nothing was run)")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OSError(errno.EACCES, f"{flag} {value}: {os.strerror(errno.EACCES)}: {folder} (nothing was run)")


def _clip(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[:n] + "...")
