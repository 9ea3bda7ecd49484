"""Run independent port calls at the same time, so their latencies overlap."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Call both at once; the first error raised (in argument order) propagates."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pm-io") as pool:
        later = pool.submit(second)
        try:
            a = first()
        except BaseException:
            later.cancel()
            raise
        return a, later.result()
