"""Run a locally built MAESTRO on a mapping file: for tests and golden generators that check us
against MAESTRO itself.  The binary is named by the environment variable ``MAESTRO_BIN`` (MAESTRO
4eb08d1, built from maestro-project/maestro); tests that need it skip without it.  Never a
dependency of the package."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from confuciux.formats.maestro import MAESTRO_COMMAND

MAESTRO_BIN = os.environ.get("MAESTRO_BIN", "")

# MAESTRO's messages when its parser refuses a file (anything else it refuses in its analysis)
_PARSER = ("[MAESTRO Parser]", "Invalid mapping", "Cannot find the dimension")
_LINE = re.compile(r"line number:? (\d+)")


def maestro_bin() -> str:
    """The MAESTRO binary, or skip the test."""
    if not MAESTRO_BIN or not Path(MAESTRO_BIN).is_file():
        pytest.skip("MAESTRO_BIN (a MAESTRO 4eb08d1 binary) not set")
    return MAESTRO_BIN


@dataclass
class Run:
    """One MAESTRO run: ``status`` ``ok`` (a CSV row per layer), ``parse`` (its parser refused
    the file: ``line`` is the line it names), ``analysis`` (its analysis refused it) or
    ``crash`` (it died: SIGFPE, SIGSEGV, an abort); ``rows`` MAESTRO's CSV, ``message`` its
    last output lines."""

    status: str
    rc: int
    message: str
    line: int = 0
    rows: list[dict[str, str]] = field(default_factory=list)


def run_maestro(text: str, pes: int, binary: str | None = None, timeout: float = 120) -> Run:
    """Run MAESTRO (ConfuciuX's flags, ``pes`` PEs) on the mapping file ``text``."""
    binary = binary or maestro_bin()
    with tempfile.TemporaryDirectory() as d:
        Path(d, "m.m").write_text(text, encoding="utf-8")
        cmd = MAESTRO_COMMAND.format(file="m.m", pes=pes).split()[1:]
        p = subprocess.run([binary, *cmd], cwd=d, capture_output=True, text=True, timeout=timeout, errors="replace")
        rows: list[dict[str, str]] = []
        out = Path(d, "m.csv")
        if out.exists():
            with out.open(newline="") as f:
                table = list(csv.reader(f))
            if table:
                head = [h.strip() for h in table[0]]
                # MAESTRO names its largest compute delay "Compute Delay (Min)" too: the second one is the max
                seen = [i for i, h in enumerate(head) if h == "Compute Delay (Min)"]
                if len(seen) == 2:
                    head[seen[1]] = "Compute Delay (Max)"
                rows = [{h: v.strip() for h, v in zip(head, r, strict=False)} for r in table[1:] if r]
    message = "\n".join((p.stdout + p.stderr).strip().splitlines()[-4:])
    if p.returncode < 0:
        return Run("crash", p.returncode, message, rows=rows)
    if p.returncode != 0 or not rows:
        m = _LINE.search(message)
        parser = any(s in message for s in _PARSER)
        return Run("parse" if parser else "analysis", p.returncode, message, int(m.group(1)) if m else 0, rows)
    return Run("ok", 0, message, rows=rows)
