"""Old names: one message and one removal version for all of them (CHANGELOG.md lists them).

An old name keeps working for one release and warns: FutureWarning where a user's script must
see it (Python shows it by default), DeprecationWarning for names of the package's modules."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["REMOVED_IN", "deprecated", "keyword_only_after", "renamed_keywords"]

#: The release that drops the names deprecated now.
REMOVED_IN = "0.3.0"


def deprecated(old: str, new: str, *, user: bool = False, stacklevel: int = 3) -> None:
    """Warn that ``old`` is now ``new`` (``user``: a FutureWarning, else a DeprecationWarning).
    ``stacklevel`` 3 points at the caller of the function that calls this one."""
    category = FutureWarning if user else DeprecationWarning
    warnings.warn(f"{old} is deprecated and goes in confuciux {REMOVED_IN}: use {new}", category, stacklevel=stacklevel)


T = TypeVar("T")


def keyword_only_after(n: int) -> Callable[[type[T]], type[T]]:
    """A class decorator for a dataclass whose fields after the first ``n`` became keyword-only:
    its constructor still takes them by position for one release, in field order, with a
    FutureWarning."""

    def decorate(cls: type[T]) -> type[T]:
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 (the wrapped __init__)
            if len(args) > n:
                extra = names[n : len(args)]
                if len(args) > len(names) or set(extra) & kwargs.keys():
                    init(self, *args, **kwargs)  # the TypeError the constructor gives
                deprecated(f"{cls.__name__}({', '.join(extra)}) by position", "keywords", user=True)
                kwargs.update(zip(extra, args[n:], strict=True))
                args = args[:n]
            init(self, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[method-assign]
        return cls

    return decorate


def renamed_keywords(renames: dict[str, str]) -> Callable[[type[T]], type[T]]:
    """A class decorator for a dataclass whose fields ``old`` were renamed ``new``
    (``renames``): its constructor (and ``dataclasses.replace``) still takes the old keywords for
    one release, with a FutureWarning; giving both is a TypeError."""

    def decorate(cls: type[T]) -> type[T]:
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 (the wrapped __init__)
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{cls.__name__}() got both {old}= and its new name {new}=")
                    deprecated(f"{cls.__name__}({old}=...)", f"{new}=", user=True)
                    kwargs[new] = kwargs.pop(old)
            init(self, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[method-assign]
        return cls

    return decorate
