"""The ``confuciux`` console script (``[project.scripts]`` in pyproject.toml).

It sits outside the ``confuciux`` package on purpose: importing anything inside the package runs
the package's ``__init__`` first (NumPy and the compiled kernel: about 0.2 s), and a Ctrl-C during
that import would end in a Python traceback.  Here Ctrl-C has its default action (the process ends
at once and quietly, as any Unix tool does) until the command line is loaded and handles it.
(``_signal``, the interpreter's built-in module, not ``signal``: importing that one takes ~10 ms of
Python code, itself open to a Ctrl-C.  Before this line only the interpreter's own start-up runs,
which no Python code can protect.)
"""

import _signal  # type: ignore[import-not-found]  # no stubs for the built-in module

_signal.signal(_signal.SIGINT, _signal.SIG_DFL)


def main() -> int:
    from confuciux.cli import console_main

    return console_main()
