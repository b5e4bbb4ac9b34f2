"""The ``confuciux`` console script (``[project.scripts]`` in pyproject.toml).

It sits outside the ``confuciux`` package on purpose: importing anything inside the package runs
the package's ``__init__`` first (NumPy and the compiled kernel: about 0.2 s), and a Ctrl-C during
that import would end in a Python traceback.  Here Ctrl-C has its default action (the process ends
at once and quietly, as any Unix tool does) until the command line is loaded and handles it.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_DFL)


def main() -> int:
    from confuciux.cli import console_main

    return console_main()
