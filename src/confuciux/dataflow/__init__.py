"""Dataflow programs in MAESTRO's directive language (see docs/dataflows.md once written).

The package sits below the workload: it imports nothing else from confuciux.
"""

from __future__ import annotations

from .program import Bound, Cluster, Directive, Map, Size, Spatial, Sz, Temporal

__all__ = ["Bound", "Cluster", "Directive", "Map", "Size", "Spatial", "Sz", "Temporal"]
