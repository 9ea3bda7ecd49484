"""Stopping a long-lived command on SIGINT/SIGTERM: finish the current step, or abandon it.

The first signal sets the stop event and starts a grace timer; when the timer runs out (or a
second signal arrives) `on_abandon` reports it and the process exits 0 at once. An open
database transaction dies with the process (the database rolls it back), so nothing is
half-written.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_signals(
    stop: threading.Event, grace_s: float, on_abandon: Callable[[], None]
) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM set `stop`; the previous handlers come back after."""

    def abandon() -> None:
        on_abandon()
        sys.stdout.flush()
        os._exit(0)

    def on_signal(_signum: int, _frame: object) -> None:
        if stop.is_set():
            abandon()
        stop.set()
        timer = threading.Timer(grace_s, abandon)
        timer.daemon = True
        timer.start()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
