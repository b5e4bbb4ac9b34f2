"""Ranges that every entry point checks before values reach the compiled kernel."""

from __future__ import annotations

__all__ = ["KERNEL_INT_MAX"]

#: The kernel computes in int64: PEs, buffer levels and layer dimensions must be in [1, 2**63 - 1].
KERNEL_INT_MAX = 2**63 - 1
