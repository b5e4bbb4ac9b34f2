"""Caches of values derived from immutable objects.

Two kinds, and no other: ``functools.cached_property`` on the class that owns the value (its
name starts with ``_cx_``, and pickling leaves it out, see :func:`state_without_caches`), and
:class:`IdentityCache` in the module that derives the value from someone else's object (e.g. the
kernel's struct for a :class:`~confuciux.Hardware`).  Both are used only on frozen values whose
fields are themselves immutable (Layer, Model, Hardware), so a cached value can never go stale;
a list or any other mutable container is never a cache key.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["state_without_caches", "IdentityCache"]

K = TypeVar("K")
V = TypeVar("V")


def state_without_caches(self: Any) -> dict[str, Any]:
    """``__getstate__`` for classes with ``_cx_*`` cached properties: the state without them (they
    may hold objects that do not pickle, and are rebuilt on first use)."""
    return {k: v for k, v in self.__dict__.items() if not k.startswith("_cx_")}


class IdentityCache(Generic[K, V]):
    """``build(obj)`` computed once per live object: keyed by identity, the entry is dropped when
    the object is garbage collected (so a recycled ``id`` never finds an old value).

    Callers pass only immutable objects of an exact, known type."""

    def __init__(self, build: Callable[[K], V]) -> None:
        self._build = build
        self._entries: dict[int, tuple[weakref.ref[Any], V]] = {}

    def __call__(self, obj: K) -> V:
        key = id(obj)
        hit = self._entries.get(key)
        if hit is not None and hit[0]() is obj:
            return hit[1]
        value = self._build(obj)
        entries = self._entries

        def drop(_ref: weakref.ref[Any], key: int = key) -> None:
            entries.pop(key, None)

        entries[key] = (weakref.ref(obj, drop), value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
