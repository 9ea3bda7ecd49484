"""`pm audit` and `pm alerts`: exit codes, output shapes and the account in every record."""

from __future__ import annotations

import csv
import io
import re

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca

AUDIT_FIELDS = [
    "id",
    "account_id",
    "created_at",
    "action",
    "outcome",
    "arguments",
    "outcome_details",
    "os_user",
    "host",
    "finished_at",
]
ALERT_FIELDS = [
    "id",
    "account_id",
    "created_at",
    "level",
    "code",
    "breach",
    "symbol",
    "sector",
    "message",
]


def test_audit_lists_what_close_recorded(pm: PmRunner) -> None:
    closed = pm("--demo", "close", "MSFT", "--qty", "1", "--yes", "--json")
    assert closed.code == 0, closed.stderr
    assert pm("--demo", "breaker", "trip", "--reason", "lunch").code == 0

    out = pm("--demo", "audit", "--json")
    assert out.code == 0, out.stderr
    rows = out.json()
    assert [r["action"] for r in rows] == ["breaker-trip", "close"]
    assert list(rows[1]) == AUDIT_FIELDS
    assert rows[1]["id"] == closed.json()["audit_id"]
    assert rows[1]["outcome"] == "succeeded"
    assert rows[1]["arguments"]["symbol"] == "MSFT"
    assert all(r["account_id"] == DEMO_ACCOUNT_ID for r in rows)
    assert all(r["created_at"].endswith("Z") for r in rows)

    assert [r["action"] for r in pm("--demo", "audit", "--json", "--limit", "1").json()] == [
        "breaker-trip"
    ]
    assert pm("--demo", "audit", "--json", "--since", "2999-01-01").json() == []

    table = pm("--demo", "audit")
    assert table.code == 0
    assert "close" in table.stdout
    assert "succeeded" in table.stdout


def test_audit_csv_has_one_row_per_entry(pm: PmRunner) -> None:
    assert pm("--demo", "close", "MSFT", "--qty", "1", "--yes").code == 0
    out = pm("--demo", "audit", "--csv")
    assert out.code == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 1
    assert list(rows[0]) == AUDIT_FIELDS
    assert rows[0]["account_id"] == DEMO_ACCOUNT_ID
    assert '"symbol": "MSFT"' in rows[0]["arguments"]


def test_alerts_lists_what_risk_found(pm: PmRunner) -> None:
    risk = pm("--demo", "risk", "--json")
    assert risk.code == 1  # the demo's AAPL breaches the position limit on purpose
    out = pm("--demo", "alerts", "--json")
    assert out.code == 0, out.stderr
    rows = out.json()
    assert {(r["code"], r["symbol"]) for r in rows} == {
        (a["code"], a["symbol"]) for a in risk.json()["alerts"]
    }
    assert list(rows[0]) == ALERT_FIELDS
    assert all(r["account_id"] == DEMO_ACCOUNT_ID for r in rows)
    assert all(r["created_at"].endswith("Z") for r in rows)
    breaches = [r for r in rows if r["breach"]]
    assert [r["symbol"] for r in breaches] == ["AAPL"]

    critical = pm("--demo", "alerts", "--level", "CRITICAL", "--json").json()
    assert {r["level"] for r in critical} == {"critical"}
    assert len(critical) < len(rows)
    assert pm("--demo", "alerts", "--json", "--since", "2999-01-01").json() == []
    as_csv = list(csv.DictReader(io.StringIO(pm("--demo", "alerts", "--csv").stdout)))
    assert len(as_csv) == len(rows)
    assert pm("--demo", "alerts").code == 0


def test_bad_options_are_usage_errors(pm: PmRunner) -> None:
    both = pm("--demo", "audit", "--json", "--csv")
    assert both.code == 2
    assert "cannot be used together" in both.stderr
    assert pm("--demo", "alerts", "--json", "--csv").code == 2
    assert pm("--demo", "alerts", "--level", "loud").code == 2
    assert pm("--demo", "audit", "--since", "yesterday-ish").code == 2
    assert pm("--demo", "audit", "--limit", "0").code == 2


def test_an_account_pm_never_saw_is_not_found_without_a_broker_call(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    for command in ("audit", "alerts"):
        out = pm(command, "--json")
        assert out.code == 4, out.stderr
        assert out.error()["error"] == "NotFound"
    assert alpaca.requests == []


def test_tables_fit_80_columns_without_cutting(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pm("--demo", "close", "MSFT", "--qty", "1", "--yes").code == 0
    assert pm("--demo", "risk").code == 1
    monkeypatch.setenv("COLUMNS", "80")
    for command in ("audit", "alerts"):
        out = pm("--demo", command)
        assert out.code == 0, out.stderr
        assert "…" not in out.stdout
        assert max(len(line) for line in out.stdout.splitlines()) <= 80
        assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out.stdout)
    assert "BREACH" in pm("--demo", "alerts").stdout
