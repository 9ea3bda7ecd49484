"""Stopping on SIGINT/SIGTERM: Ctrl-C ends any command within a deadline, and a long-lived
command finishes its current step or abandons it.

`stop_on_signals`: the first signal sets the stop event and starts a grace timer; when the
timer runs out (or a second signal arrives) `on_abandon` reports it and the process exits 0
at once. An open database transaction dies with the process (the database rolls it back),
so nothing is half-written; an order in flight is settled by the next command.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

#: After Ctrl-C, how long a command may take to end before the process ends itself.
INTERRUPT_DEADLINE_S = 2.0


def interrupt_with_deadline(code: int, deadline_s: float = INTERRUPT_DEADLINE_S) -> None:
    """Ctrl-C raises KeyboardInterrupt, as Python's own handler does, and ends the process with
    `code` `deadline_s` later if it is still running: Python only prints an interrupt raised
    inside a finalizer or a callback, which the command then never sees (it would run on, up
    to a hanging call's --timeout). A SIGINT ignored from the start (``nohup``, a background
    job) stays ignored."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return

    def on_interrupt(_signum: int, _frame: object) -> None:
        timer = threading.Timer(deadline_s, _end, args=(code,))
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)


def _end(code: int) -> None:
    with suppress(OSError, ValueError):  # a closed or broken stdout loses only its tail
        sys.stdout.flush()
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    os._exit(code)


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
