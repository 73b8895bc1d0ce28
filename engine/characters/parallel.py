"""Per-character work on the cast's CPU threads.

Sampling's network call already uses every thread it is given, but guidance
and clean-up are numpy on one character at a time, so between network calls
one core idles: characters are independent there and run side by side
(numpy releases the GIL inside its array loops).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

R = TypeVar("R")


@lru_cache(maxsize=4)
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="cast")


def each(fn: Callable[..., R], threads: int | None, *items: Sequence) -> list[R]:
    """list(map(fn, *items)), on up to `threads` threads (None or 1: in this thread)."""
    count = min(len(i) for i in items)
    if not threads or threads < 2 or count < 2:
        return list(map(fn, *items))
    return list(_pool(min(threads, count)).map(fn, *items))
