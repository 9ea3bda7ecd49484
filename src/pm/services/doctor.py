"""`pm doctor`: is this installation ready to trade? One finding per check, in order.

The checks, in order; each needs the ones before it (a failure skips those that depend on it):

- settings: the environment and config file parse (else fail, BadInput; the rest skipped);
- endpoint: paper trading is ok, live money a warning;
- credentials: one cheap broker call (the account) succeeds (else fail with its error);
- clock: this machine and the broker agree within 5 s (else warn);
- database: the database answers (else fail, DatabaseError; schema skipped);
- schema: at the newest revision; behind is a warning while the next command migrates it,
  a failure when automatic migration is off or the revision is unknown.

With the simulated account the broker checks say "simulated": there is no broker to ask.
The front end gathers the facts (settings, database, broker) as callables; this module
decides what they mean, so the CLI and a later MCP tool report the same findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pm.domain.errors import DatabaseError, PmError
from pm.domain.models import Account, MarketClock
from pm.ports import Clock

Status = Literal["ok", "warn", "fail", "simulated", "skipped"]
CHECKS = ("settings", "endpoint", "credentials", "clock", "database", "schema")
MAX_SKEW = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: Status
    detail: str
    error: PmError | None = None  # why it failed; decides the exit code


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where orders would go: a URL, real money or not, or the simulated account."""

    url: str
    live: bool
    simulated: bool


@dataclass(frozen=True, slots=True)
class Schema:
    """Where the database stands: its URL (password masked) and revisions; `known` is False
    for a revision this pm has never heard of (a newer pm migrated the database)."""

    url: str
    current: str | None
    head: str
    known: bool
    auto_migrate: bool


@dataclass(frozen=True, slots=True)
class Facts:
    """How to learn each fact; every callable raises a `PmError` when it cannot."""

    settings: Callable[[], str]
    endpoint: Callable[[], Endpoint]
    account: Callable[[], Account]
    broker_clock: Callable[[], MarketClock]
    schema: Callable[[], Schema]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    account_id: str | None

    @property
    def failure(self) -> PmError | None:
        """The first failed check's error (its class decides the exit code), its message now
        naming every failed check (each finding already said why, so it is not repeated)."""
        failed = [f for f in self.findings if f.error is not None]
        if not failed:
            return None
        first = failed[0].error
        assert first is not None
        names = ", ".join(f.check for f in failed)
        first.message = f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed: {names}"
        return first


def _failed(check: str, error: PmError) -> Finding:
    return Finding(check, "fail", error.message, error)


def _skipped(*checks: str, because: str) -> list[Finding]:
    return [Finding(c, "skipped", f"needs {because}") for c in checks]


def examine(facts: Facts, clock: Clock) -> Diagnosis:
    """Run every check in order (see the module doc); nothing here raises a `PmError`."""
    try:
        detail = facts.settings()
    except PmError as error:
        rest = _skipped(*CHECKS[1:], because="valid settings")
        return Diagnosis((_failed("settings", error), *rest), None)
    database = _database_checks(facts)  # first: using the demo broker migrates the database
    database_ok = all(f.error is None for f in database)
    broker, account_id = _broker_checks(facts, clock, database_ok=database_ok)
    return Diagnosis((Finding("settings", "ok", detail), *broker, *database), account_id)


def _broker_checks(
    facts: Facts, clock: Clock, *, database_ok: bool
) -> tuple[list[Finding], str | None]:
    try:
        endpoint = facts.endpoint()
    except PmError as error:
        rest = _skipped("credentials", "clock", because="a valid endpoint")
        return [_failed("endpoint", error), *rest], None
    if endpoint.simulated and not database_ok:  # the demo keeps its account there
        demo = Finding("endpoint", "simulated", "the built-in demo account")
        return [demo, *_skipped("credentials", "clock", because="the database")], None
    if endpoint.simulated:
        try:
            account = facts.account()
        except PmError as error:
            return [
                Finding("endpoint", "simulated", "the built-in demo account"),
                _failed("credentials", error),
                *_skipped("clock", because="the demo account"),
            ], None
        return [
            Finding("endpoint", "simulated", "the built-in demo account: no broker, no money"),
            Finding("credentials", "simulated", f"none needed; account {account.account_id}"),
            Finding("clock", "simulated", "the demo runs on this machine's clock"),
        ], account.account_id
    money = "live: REAL MONEY" if endpoint.live else "paper"
    where = Finding("endpoint", "warn" if endpoint.live else "ok", f"{money} ({endpoint.url})")
    try:
        account = facts.account()
    except PmError as error:
        rest = _skipped("clock", because="credentials")
        return [where, _failed("credentials", error), *rest], None
    credentials = Finding(
        "credentials", "ok", f"accepted: account {account.account_number} ({account.status})"
    )
    return [where, credentials, _clock_check(facts, clock)], account.account_id


def _clock_check(facts: Facts, clock: Clock) -> Finding:
    before = clock.now()
    try:
        theirs = facts.broker_clock().timestamp
    except PmError as error:
        return Finding("clock", "warn", f"could not read the broker's clock: {error.message}")
    after = clock.now()
    ours = before + (after - before) / 2  # the middle of the round trip
    skew = (ours - theirs).total_seconds()
    detail = f"this machine is {abs(skew):.1f} s {'ahead of' if skew >= 0 else 'behind'} the broker"
    if abs(skew) > MAX_SKEW.total_seconds():
        return Finding("clock", "warn", f"{detail}: times pm records will be off; sync with NTP")
    return Finding("clock", "ok", detail)


def _database_checks(facts: Facts) -> list[Finding]:
    try:
        schema = facts.schema()
    except PmError as error:
        return [_failed("database", error), *_skipped("schema", because="the database")]
    database = Finding("database", "ok", f"{schema.url} answers")
    if schema.current == schema.head:
        return [database, Finding("schema", "ok", f"at the newest revision {schema.head}")]
    where = "empty" if schema.current is None else f"at revision {schema.current}"
    if not schema.known:
        unknown = f"{where}, which this pm does not know: a newer pm migrated it"
        return [database, _failed("schema", DatabaseError(unknown))]
    if schema.auto_migrate:
        note = f"{where}, newest is {schema.head}: the next command migrates it (or pm db upgrade)"
        return [database, Finding("schema", "warn", note)]
    behind = f"{where}, newest is {schema.head}, and automatic migration is off: run pm db upgrade"
    return [database, _failed("schema", DatabaseError(behind))]
