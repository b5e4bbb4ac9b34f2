"""cffi build module: compiles csrc/cost_model.c, csrc/lstm.c and csrc/frontier.c into ``confuciux._cost_model``.

Used by setup.py (``cffi_modules``) at install time, and runnable by hand
(``python csrc/build.py``) to build in place for development.
"""

from __future__ import annotations

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent


def _cdef(header: str) -> str:
    # cffi's cdef has no preprocessor; the header keeps its declarations plain C for this.
    return "\n".join(line for line in header.splitlines() if not line.lstrip().startswith("#"))


ffibuilder = FFI()
ffibuilder.cdef(_cdef((HERE / "cost_model.h").read_text()))
ffibuilder.cdef(_cdef((HERE / "lstm.h").read_text()))
ffibuilder.cdef(_cdef((HERE / "frontier.h").read_text()))
ffibuilder.set_source(
    "confuciux._cost_model",
    '#include "cost_model.h"\n#include "lstm.h"\n#include "frontier.h"',
    sources=[os.path.relpath(HERE / name) for name in ("cost_model.c", "lstm.c", "frontier.c")],
    include_dirs=[os.path.relpath(HERE)],
    # gnu99: the checked arithmetic uses GNU statement expressions and __builtin_*_overflow.
    # -ffp-contract=off: no fused multiply-add, so floats match the NumPy reference bit for bit.
    extra_compile_args=["-O2", "-std=gnu99", "-ffp-contract=off"],
)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(HERE.parent), verbose=False)
