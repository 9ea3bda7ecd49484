"""Reading the broker: what is live now, labelled with where and when it came from."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from pm.domain.models import Account, Position, Source
from pm.ports import Broker, Clock


def source_of(broker: Broker, clock: Clock) -> Source:
    """The label for data just fetched: simulated for the demo, live otherwise."""
    return Source(
        type="simulated" if broker.simulated else "live",
        broker=broker.name,
        fetched_at=clock.now(),
    )


@dataclass(frozen=True, slots=True)
class InFlight:
    account: Future[Account]
    positions: Future[list[Position]]

    def result(self) -> tuple[Account, list[Position]]:
        """Wait for both; the account's error wins if both failed."""
        return self.account.result(), self.positions.result()


@contextmanager
def broker_pool(workers: int, name: str) -> Iterator[ThreadPoolExecutor]:
    """Threads for concurrent broker calls. When the block fails (Ctrl-C, an error) the calls
    still travelling are not waited for: a hanging one would hold the process until its
    deadline (`--timeout`) after the user has asked it to stop."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@contextmanager
def account_and_positions(broker: Broker) -> Iterator[InFlight]:
    """Start the account and positions requests together: one round trip of latency, not two.

    The caller can do other work (open the database) inside the block while they travel.
    """
    with broker_pool(2, "pm-broker") as pool:
        yield InFlight(pool.submit(broker.get_account), pool.submit(broker.get_positions))
