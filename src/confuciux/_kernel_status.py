"""Why the compiled cost-model kernel could not be imported, in words a user can act on.

Two situations look alike from inside ``import confuciux`` but need opposite fixes:

* **shadowed** — an installed confuciux with a compiled ``_cost_model`` exists elsewhere on
  ``sys.path``, but Python imported another copy of the package first (a source tree put on
  the path by ``PYTHONPATH``, a notebook's working directory or ``sys.path.insert``).  The
  kernel is there; the fix is to import the installed copy.
* **not built** — no copy of the package anywhere has the kernel: confuciux was installed
  without a working C compiler.  The fix is to install one and reinstall.

This module only inspects the file system and package metadata; it imports nothing compiled.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["missing_kernel_message", "installed_kernels"]

_KERNEL = "_cost_model"
_PACKAGE = "confuciux"


def _is_kernel_file(path: Path) -> bool:
    name = path.name
    return name.startswith(_KERNEL) and any(name.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES)


def _kernels_in(package_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in package_dir.iterdir() if _is_kernel_file(p))
    except OSError:  # not a directory, unreadable, or gone
        return []


def _kernels_on_path(entries: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for entry in entries:
        found += _kernels_in(Path(entry or ".") / _PACKAGE)
    return found


def _kernels_in_metadata() -> list[Path]:
    """Kernel files that an installed ``confuciux`` distribution's RECORD lists."""
    try:
        dist = importlib.metadata.distribution(_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return []
    found = []
    for file in dist.files or ():
        parts = Path(str(file)).parts
        if len(parts) == 2 and parts[0] == _PACKAGE and _is_kernel_file(Path(parts[1])):
            found.append(Path(str(dist.locate_file(file))))
    return [p for p in found if p.exists()]


def installed_kernels(package_dir: Path, entries: Iterable[str] | None = None) -> list[Path]:
    """Compiled kernels of confuciux copies other than the one in ``package_dir``: found on
    ``entries`` (``sys.path`` by default) or in the installed distribution's metadata."""
    here = package_dir.resolve()
    candidates = _kernels_on_path(sys.path if entries is None else entries) + _kernels_in_metadata()
    unique: dict[Path, None] = {}
    for path in candidates:
        resolved = path.resolve()
        if resolved.parent != here:
            unique.setdefault(resolved, None)
    return list(unique)


def missing_kernel_message(package_dir: Path | None = None, entries: Iterable[str] | None = None) -> str:
    """The warning text for a failed ``import confuciux._cost_model``.

    ``package_dir``: the imported confuciux package (this module's directory by default);
    ``entries``: where to look for other copies (``sys.path`` by default)."""
    here = Path(__file__).resolve().parent if package_dir is None else package_dir.resolve()
    slower = "using the NumPy reference instead (same numbers, 4-10x slower)"
    own = _kernels_in(here)
    if own:
        return (
            f"confuciux: the compiled cost-model kernel {own[0]} exists but cannot be loaded; {slower}. "
            "It was probably built for another Python or platform: reinstall (pip install --force-reinstall .)"
        )
    others = installed_kernels(here, entries)
    if others:
        return (
            f"confuciux: imported the source tree {here}, which has no compiled kernel; an installed "
            f"confuciux with the kernel ({others[0].parent}) is shadowed by it on sys.path; {slower}. "
            "Import the installed copy: run from another directory or drop the source tree from "
            "PYTHONPATH/sys.path, or use an editable install (pip install -e .)"
        )
    return (
        f"confuciux: the compiled cost-model kernel is not built (no copy of confuciux on sys.path has it); "
        f"{slower}. Install a C compiler and the Python headers (e.g. gcc and python3-dev) and reinstall: "
        "pip install --force-reinstall ."
    )
