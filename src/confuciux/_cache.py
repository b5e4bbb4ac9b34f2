"""Per-object caches on immutable values (layer arrays, the kernel's hardware struct).

They live in the instance ``__dict__`` under ``_cx_*`` keys; pickling and copying leave them out
(they may hold cffi objects, which do not pickle) and rebuild them on first use.
"""

from __future__ import annotations

from typing import Any


def state_without_caches(self: Any) -> dict[str, Any]:
    return {k: v for k, v in self.__dict__.items() if not k.startswith("_cx_")}
