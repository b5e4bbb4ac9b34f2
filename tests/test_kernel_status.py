"""The import-time message tells a shadowed kernel apart from one that was never built."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import confuciux
from confuciux._kernel_status import missing_kernel_message

PACKAGE = Path(confuciux.__file__).resolve().parent


def _source_copy(tmp_path: Path) -> Path:
    """A copy of the package without any compiled file: what a source checkout looks like."""
    root = tmp_path / "checkout"
    shutil.copytree(PACKAGE, root / "confuciux", ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    return root


def _import_warning(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "numpy"  # the source copy was imported and has no kernel
    return r.stderr


@pytest.mark.skipif(confuciux.BACKEND != "c", reason="needs an installed compiled kernel to be shadowed")
def test_shadowed_kernel_is_named_not_blamed_on_the_compiler(tmp_path):
    root = _source_copy(tmp_path)
    err = _import_warning(f"import sys; sys.path.insert(0, {str(root)!r}); import confuciux; print(confuciux.BACKEND)")
    assert "shadowed" in err and str(root / "confuciux") in err and str(PACKAGE) in err
    assert "C compiler" not in err


def test_kernel_built_nowhere_asks_for_a_compiler(tmp_path):
    root = _source_copy(tmp_path)
    # NumPy is imported first; then every other copy of confuciux (and its metadata) leaves sys.path
    code = (
        "import os, sys, numpy\n"
        "def other_copy(p):\n"
        "    d = p or '.'\n"
        "    names = os.listdir(d) if os.path.isdir(d) else []\n"
        "    return 'confuciux' in names or any(n.startswith('confuciux-') for n in names)\n"
        f"sys.path[:] = [{str(root)!r}] + [p for p in sys.path if not other_copy(p)]\n"
        "import confuciux; print(confuciux.BACKEND)\n"
    )
    err = _import_warning(code)
    assert "not built" in err and "C compiler" in err and "shadowed" not in err


def test_broken_kernel_file_is_reported_as_unloadable(tmp_path):
    pkg = _source_copy(tmp_path) / "confuciux"
    (pkg / "_cost_model.abi3.so").write_bytes(b"not an ELF file")
    message = missing_kernel_message(pkg, entries=[])
    assert "cannot be loaded" in message and "_cost_model.abi3.so" in message
