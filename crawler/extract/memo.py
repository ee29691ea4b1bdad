"""Memory of pure functions of text: a crawl reads the same lines on many pages (a folder's
colophon credits, date lines, labels), so their readings are remembered, and `forget` clears them all
(a benchmark's cold round, a test that must not depend on what was read before)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar, cast

Function = TypeVar("Function", bound=Callable[..., Any])

# How many distinct arguments each function remembers: more than the date and credit lines a
# folder of the archive holds, few enough to stay small (a few megabytes in all).
MEMORY = 4096

_REMEMBERED: list[Any] = []


def remembered(function: Function) -> Function:
    """The function, its results kept for its last MEMORY distinct arguments. Only for pure functions
    whose results their callers never change (immutable values)."""
    cached = lru_cache(maxsize=MEMORY)(function)
    _REMEMBERED.append(cached)
    return cast(Function, cached)


def forget() -> None:
    """Clear every remembered reading."""
    for cached in _REMEMBERED:
        cached.cache_clear()
