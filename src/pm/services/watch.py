"""`pm watch`: a long-lived loop that runs periodic jobs for one account.

Jobs are registered explicitly (`JobRegistry.register(Job(name, interval, run))`, where
`run(account_id)` does one run for the watched account); reconciliation is the first. Later
features (scheduled rebalancing, threshold triggers, risk alerts, exit rules) register theirs
the same way. Each job's last run lives in the `jobs`
table, shared by every watcher of the account: a watcher runs a job only after claiming it
there (one atomic UPDATE), so several watchers on several hosts share the work instead of
repeating it.

Outages (the broker or the database unavailable) are reported once as an ``outage`` event,
retried with bounded exponential backoff with jitter, and reported as ``recovered`` when a
cycle succeeds again. A failed job writes nothing but its failed run record.

Stopping: `stop` (set by SIGINT/SIGTERM in the CLI) is checked between jobs and ends every
wait at once; a job already running finishes (its writes are one transaction each). A cycle
that cannot finish is the caller's to abandon (`Watcher.abandoned` reports it).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pm.domain.errors import BrokerUnavailable, CredentialsError, DatabaseError, PmError
from pm.logging import get_logger
from pm.ports import Broker, Clock, JobStore, ReconcileStore, Repository
from pm.services import reconcile as reconcile_service

log = get_logger("pm.watch")

JobStatus = Literal["completed", "skipped", "failed"]
#: How soon a watcher looks again at the jobs table when nothing is due (other watchers may
#: have moved the times); also the shortest sleep between cycles.
MIN_SLEEP_S = 0.2


@dataclass(frozen=True, slots=True)
class JobOutcome:
    status: JobStatus
    detail: Any = None  # e.g. the reconciliation's RunRecord, for the events
    error: PmError | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A periodic job: `run(account_id)` is called when `interval` has passed since its last
    run for that account."""

    name: str
    interval: timedelta
    run: Callable[[str], JobOutcome]

    @property
    def interval_s(self) -> int:
        return max(1, int(self.interval.total_seconds()))


class JobRegistry:
    """The jobs of one watcher, in the order they run within a cycle."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def register(self, job: Job) -> Job:
        if job.name in self._jobs:
            raise ValueError(f"job {job.name!r} is registered twice")
        self._jobs[job.name] = job
        return job

    def __iter__(self) -> Iterator[Job]:
        return iter(self._jobs.values())


@dataclass
class Backoff:
    """Bounded exponential backoff with full jitter in [delay/2, delay]."""

    base_s: float = 1.0
    cap_s: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.base_s * float(2**self.attempts))
        self.attempts += 1
        jitter: float = self.rng.uniform(0.5, 1.0)
        return delay * jitter

    def reset(self) -> None:
        self.attempts = 0


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One thing that happened; `pm watch --json` writes each as a line of JSON."""

    event: str  # started, cycle_started, job, cycle_finished, outage, recovered, stopped
    at: datetime
    data: dict[str, Any]


Emit = Callable[[WatchEvent], None]


def is_outage(error: BaseException) -> bool:
    """Failures that fix themselves: keep watching, back off, retry."""
    return isinstance(error, BrokerUnavailable | DatabaseError)


@dataclass
class CycleReport:
    ran: int = 0
    failed: int = 0
    outage: PmError | None = None
    failure: PmError | None = None


class Watcher:
    def __init__(
        self,
        *,
        jobs: JobRegistry,
        store: JobStore,
        account: Callable[[], str],
        clock: Clock,
        emit: Emit,
        stop: threading.Event,
        backoff: Backoff | None = None,
    ) -> None:
        self.jobs = jobs
        self.store = store
        self._resolve_account = account
        self.account_id: str | None = None
        self.clock = clock
        self.emit = emit
        self.stop = stop
        self.backoff = backoff or Backoff()
        self.cycles = 0
        self.down_since: datetime | None = None

    def _event(self, event: str, **data: Any) -> None:
        self.emit(WatchEvent(event, self.clock.now(), data))

    def cycle(self) -> CycleReport:
        """Run the jobs that are due, in order; never raises a PmError except bad credentials."""
        self.cycles += 1
        report = CycleReport()
        self._event("cycle_started", cycle=self.cycles)
        try:
            if self.account_id is None:
                self.account_id = self._resolve_account()
            for job in self.jobs:
                if self.stop.is_set():
                    break
                self._run_job(job, report)
        except CredentialsError:
            raise
        except PmError as error:  # the jobs table or the account lookup: an outage
            report.outage = report.failure = error
        self._event("cycle_finished", cycle=self.cycles, ran=report.ran, failed=report.failed)
        return report

    def _run_job(self, job: Job, report: CycleReport) -> None:
        assert self.account_id is not None
        if not self.store.claim(self.account_id, job.name, job.interval_s, self.clock.now()):
            return
        report.ran += 1
        try:
            outcome = job.run(self.account_id)
        except CredentialsError:
            self.store.finish(self.account_id, job.name, "failed", "credentials rejected")
            raise
        except PmError as error:
            outcome = JobOutcome("failed", error=error)
        except Exception as error:  # a bug in a job must not end the watch
            log.exception("job crashed", job=job.name)
            outcome = JobOutcome(
                "failed", error=PmError(f"internal error: {type(error).__name__}: {error}")
            )
        message = outcome.error.message if outcome.error else None
        self.store.finish(self.account_id, job.name, outcome.status, message)
        if outcome.status == "failed":
            report.failed += 1
            report.failure = outcome.error
            if outcome.error is not None and is_outage(outcome.error):
                report.outage = outcome.error
        self._event(
            "job",
            cycle=self.cycles,
            job=job.name,
            status=outcome.status,
            error=message,
            detail=outcome.detail,
        )

    def next_wake(self) -> datetime:
        """The earliest due time of any job (from the shared table), within [now, interval]."""
        now = self.clock.now()
        shortest = min((job.interval for job in self.jobs), default=timedelta(minutes=5))
        wake = now + shortest
        if self.account_id is None:
            return wake
        states = {s.name: s for s in self.store.jobs(self.account_id)}
        for job in self.jobs:
            state = states.get(job.name)
            if state is None or state.last_run_at is None:
                return now
            wake = min(wake, state.last_run_at + job.interval)
        return max(wake, now)

    def run(self, *, once: bool = False) -> PmError | None:
        """Cycle until `stop` is set (or once); returns the last cycle's failure with `once`."""
        self._event(
            "started", jobs=[{"name": j.name, "interval_s": j.interval_s} for j in self.jobs]
        )
        report = CycleReport()
        try:
            while not self.stop.is_set():
                report = self.cycle()
                if once:
                    break
                delay = self._after(report)
                if self.stop.wait(delay):
                    break
        finally:
            self._event("stopped", reason="once" if once else "signal", cycles=self.cycles)
        return report.failure

    def abandoned(self) -> None:
        """Report that the current cycle was left unfinished (the process is about to end)."""
        self._event("stopped", reason="abandoned", cycles=self.cycles)

    def _after(self, report: CycleReport) -> float:
        """Record outage or recovery; return the seconds to sleep before the next cycle."""
        now = self.clock.now()
        if report.outage is not None:
            return self._outage(report.outage, now)
        if report.failed:
            return self.backoff.next_delay()
        self.backoff.reset()
        if self.down_since is not None:
            down_for = (now - self.down_since).total_seconds()
            log.warning("recovered", down_for_s=round(down_for, 1))
            self._event("recovered", down_since=self.down_since, down_for_s=round(down_for, 3))
            self.down_since = None
        try:
            wake = self.next_wake()
        except DatabaseError as error:
            return self._outage(error, now)
        return max(MIN_SLEEP_S, (wake - now).total_seconds())

    def _outage(self, error: PmError, now: datetime) -> float:
        """Report an outage (every field of the event); return the backoff delay."""
        delay = self.backoff.next_delay()
        self.down_since = self.down_since or now
        log.warning("outage", error=error.message, retry_in_s=round(delay, 2))
        self._event(
            "outage",
            error=error.kind,
            message=error.message,
            attempt=self.backoff.attempts,
            retry_in_s=round(delay, 3),
            down_since=self.down_since,
        )
        return delay


def reconcile_job(
    broker: Broker,
    repo: Repository,
    store: ReconcileStore,
    clock: Clock,
    *,
    interval: timedelta,
    settle: Callable[[str], object] | None = None,
) -> Job:
    """Reconciliation as a watch job (trigger ``watch``); `settle(account_id)` first, when
    given, records pm's own unsettled orders (`services.orders.settle_if_free`).

    The `jobs` table already decided that the job is due (its claim is the watch's
    schedule), so the run does not check the interval again; the account's lock still
    keeps it from overlapping any other reconciliation (another watcher, cron, a user).
    """

    def run(account_id: str) -> JobOutcome:
        if settle is not None:
            settle(account_id)
        result = reconcile_service.reconcile(
            broker,
            account_id,
            repo,
            store,
            clock,
            interval=interval,
            trigger="watch",
            force=True,
        )
        if result.failure is not None:
            return JobOutcome("failed", detail=result.run, error=result.failure)
        return JobOutcome(result.run.status, detail=result.run)

    return Job("reconcile", interval, run)


def trades_job(broker: Broker, repo: Repository, clock: Clock, *, interval: timedelta) -> Job:
    """The activities sync (`pm trades sync`) as a watch job named ``trades``."""
    from pm.services import trades as trades_service

    def run(account_id: str) -> JobOutcome:
        result = trades_service.sync(broker, repo, account_id, clock)
        return JobOutcome(
            "completed",
            detail={"new_fills": result.new_fills, "new_cash_activities": result.new_cash},
        )

    return Job("trades", interval, run)


def regime_job(
    assess: Callable[[], Any],
    trip: Callable[[Any, str], Any],
    *,
    interval: timedelta,
) -> Job:
    """The market regime as a watch job (``regime``): `assess()` reads FRED (or the cache),
    `trip(report, account_id)` trips the breaker when VIX is above the emergency limit.

    Built by the CLI from `pm.services.regime` (`assess` and `emergency`); the detail is the
    report, whose ``breaker_tripped_now`` says whether this run halted trading.
    """

    def run(account_id: str) -> JobOutcome:
        report = trip(assess(), account_id)
        return JobOutcome("completed", detail=report)

    return Job("regime", interval, run)


def exits_job(run: Callable[[str], Any], *, interval: timedelta) -> Job:
    """Exit rules as a watch job (``exits``): `run(account_id)` is one pass of
    `pm.services.exits` (sending or only reporting, as the CLI built it); the detail is the
    report, whose fires are the alert when nothing is sent."""

    def job(account_id: str) -> JobOutcome:
        report = run(account_id)
        if report is None:  # no rules
            return JobOutcome("skipped", detail={"reason": "no exit rules"})
        return JobOutcome("completed", detail=report)

    return Job("exits", interval, job)
