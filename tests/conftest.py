"""Shared test helpers: where ../shared/reference is, the golden subset, hypothesis profiles."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI runs the property tests derandomized (HYPOTHESIS_PROFILE=ci in .ci/run), so that a run on
# a clean checkout is repeatable; locally they draw new examples every run.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# CI sets CONFUCIUX_REQUIRE_NATIVE=1: a missing compiled kernel must fail the run, not quietly
# skip the C-vs-NumPy tests.
if os.environ.get("CONFUCIUX_REQUIRE_NATIVE") == "1":
    import confuciux

    if confuciux.BACKEND != "c":
        raise RuntimeError(
            f"CONFUCIUX_REQUIRE_NATIVE=1 but the compiled kernel is not in use ({confuciux.__file__})"
        )

ROOT = Path(__file__).resolve().parents[1]
# The project's MAESTRO/ConfuciuX ground truth: not part of the repo (a fresh clone checks the
# compact subsets in tests/golden/ instead); CONFUCIUX_REFERENCE points elsewhere (a worktree).
REFERENCE = Path(os.environ.get("CONFUCIUX_REFERENCE", ROOT.parent / "shared" / "reference"))
_SHOWN = os.environ.get("CONFUCIUX_REFERENCE", "../shared/reference")  # as a message names it
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN = GOLDEN_DIR / "maestro_golden.csv"


def reference_file(name: str, what: str) -> Path:
    """The file ``name`` of the reference data (see :data:`REFERENCE`), or skip the test saying
    in one line which file it needs and what it holds."""
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"needs {_SHOWN}/{name} ({what}; not in the repo; CONFUCIUX_REFERENCE=dir sets where)")
    return path


def reference_dir() -> Path:
    """The reference data's directory, or skip the test saying so (prefer :func:`reference_file`,
    whose message names the file a test needs)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"needs the reference data {_SHOWN}/ (not in the repo; CONFUCIUX_REFERENCE=dir sets where)")
    return REFERENCE


def load_golden() -> dict[str, np.ndarray]:
    with open(GOLDEN, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}
