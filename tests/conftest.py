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
REFERENCE = ROOT.parent / "shared" / "reference"
GOLDEN = Path(__file__).resolve().parent / "golden" / "maestro_golden.csv"


def reference_dir() -> Path:
    """../shared/reference, or skip the test when it is absent (it is not part of the repo)."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not present")
    return REFERENCE


def load_golden() -> dict[str, np.ndarray]:
    with open(GOLDEN, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}
