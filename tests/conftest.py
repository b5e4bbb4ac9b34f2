"""Shared test helpers: where ../shared/reference is, and the golden subset."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

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
