"""`pm doctor` as a service: what each fact means, and which failure decides the exit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pm.domain.errors import (
    BadInput,
    BrokerUnavailable,
    CredentialsError,
    DatabaseError,
    PmError,
)
from pm.domain.models import Account, MarketClock
from pm.services.doctor import Diagnosis, Endpoint, Facts, Schema, examine

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ACCOUNT = Account(
    account_id="acct-1",
    account_number="PA1234",
    status="ACTIVE",
    currency="USD",
    equity=Decimal(1000),
    last_equity=Decimal(1000),
    cash=Decimal(1000),
    buying_power=Decimal(2000),
    long_market_value=Decimal(0),
    short_market_value=Decimal(0),
)


class Clock:
    def now(self) -> datetime:
        return NOW


def fails(error: PmError) -> Callable[[], object]:
    def raise_it() -> object:
        raise error

    return raise_it


def broker_clock(skew_s: float) -> MarketClock:
    at = NOW - timedelta(seconds=skew_s)
    return MarketClock(at, True, at + timedelta(days=1), at + timedelta(hours=3))


HEALTHY = Facts(
    settings=lambda: "environment and defaults",
    endpoint=lambda: Endpoint("https://paper-api.alpaca.markets", live=False, simulated=False),
    account=lambda: ACCOUNT,
    broker_clock=lambda: broker_clock(0.3),
    schema=lambda: Schema("sqlite:///pm.db", "0003", "0003", known=True, auto_migrate=True),
)


def statuses(diagnosis: Diagnosis) -> dict[str, str]:
    return {f.check: f.status for f in diagnosis.findings}


def test_a_healthy_paper_setup() -> None:
    diagnosis = examine(HEALTHY, Clock())
    assert [f.check for f in diagnosis.findings] == [
        "settings",
        "endpoint",
        "credentials",
        "clock",
        "database",
        "schema",
    ]
    assert set(statuses(diagnosis).values()) == {"ok"}
    assert diagnosis.failure is None
    assert diagnosis.account_id == "acct-1"
    assert "0.3 s ahead of the broker" in diagnosis.findings[3].detail


def test_bad_settings_skip_everything_else() -> None:
    diagnosis = examine(replace(HEALTHY, settings=fails(BadInput("PM_TIMEOUT: bad"))), Clock())
    assert statuses(diagnosis) == {
        "settings": "fail",
        "endpoint": "skipped",
        "credentials": "skipped",
        "clock": "skipped",
        "database": "skipped",
        "schema": "skipped",
    }
    assert isinstance(diagnosis.failure, BadInput)
    assert diagnosis.account_id is None


@pytest.mark.parametrize(
    "error",
    [
        CredentialsError("rejected"),
        BrokerUnavailable("refused", broker="alpaca", last_attempt=NOW),
    ],
)
def test_a_failed_broker_call_fails_credentials_and_skips_the_clock(error: PmError) -> None:
    diagnosis = examine(replace(HEALTHY, account=fails(error)), Clock())
    assert statuses(diagnosis)["credentials"] == "fail"
    assert statuses(diagnosis)["clock"] == "skipped"
    assert statuses(diagnosis)["database"] == "ok"
    assert diagnosis.failure is error
    assert diagnosis.account_id is None


def test_the_first_failure_decides_and_the_message_names_them_all() -> None:
    facts = replace(
        HEALTHY,
        account=fails(CredentialsError("no keys")),
        schema=fails(DatabaseError("refused")),
    )
    failure = examine(facts, Clock()).failure
    assert isinstance(failure, CredentialsError)
    assert failure.message == "2 checks failed: credentials, database"


def test_live_money_and_a_skewed_clock_warn_without_failing() -> None:
    facts = replace(
        HEALTHY,
        endpoint=lambda: Endpoint("https://api.alpaca.markets", live=True, simulated=False),
        broker_clock=lambda: broker_clock(-42),
    )
    diagnosis = examine(facts, Clock())
    assert statuses(diagnosis)["endpoint"] == "warn"
    assert "REAL MONEY" in diagnosis.findings[1].detail
    assert statuses(diagnosis)["clock"] == "warn"
    assert "42.0 s behind the broker" in diagnosis.findings[3].detail
    assert diagnosis.failure is None


@pytest.mark.parametrize(
    ("current", "known", "auto", "status"),
    [
        ("0002", True, True, "warn"),
        (None, True, True, "warn"),
        ("0002", True, False, "fail"),
        ("9999", False, True, "fail"),
    ],
)
def test_schema_behind_or_unknown(
    current: str | None, known: bool, auto: bool, status: str
) -> None:
    schema = Schema("sqlite:///pm.db", current, "0003", known=known, auto_migrate=auto)
    diagnosis = examine(replace(HEALTHY, schema=lambda: schema), Clock())
    assert statuses(diagnosis)["schema"] == status
    assert isinstance(diagnosis.failure, DatabaseError) == (status == "fail")


def test_the_demo_reports_simulated_broker_checks() -> None:
    demo = replace(HEALTHY, endpoint=lambda: Endpoint("demo", live=False, simulated=True))
    diagnosis = examine(demo, Clock())
    assert [statuses(diagnosis)[c] for c in ("endpoint", "credentials", "clock")] == [
        "simulated"
    ] * 3
    assert diagnosis.account_id == "acct-1"
    assert diagnosis.failure is None
    broken = replace(demo, schema=fails(DatabaseError("refused")))
    assert statuses(examine(broken, Clock()))["credentials"] == "skipped"
