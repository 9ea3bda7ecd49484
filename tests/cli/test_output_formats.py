"""Output formats: every list takes --json, --jsonl and --csv, one at a time, and every record
speaks the same vocabulary (account_id, *_pct to 4 places, times ISO 8601 UTC with Z)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from freezegun import freeze_time

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca

#: Every command that lists (after `_book` has stored something for each to list).
LISTS = {
    "positions": ("--demo", "positions"),
    "book list": ("--demo", "book", "list"),
    "history": ("--demo", "history"),
    "reconcile history": ("--demo", "reconcile", "history"),
    "reconcile conflicts": ("--demo", "reconcile", "conflicts"),
    "sectors show": ("--demo", "sectors", "show", "AAPL", "BTCUSD"),
    "exits show": ("--demo", "exits", "show"),
    "exits status": ("--demo", "exits", "status"),
    "tax harvest": ("--demo", "tax", "harvest", "--min-loss", "0"),
    "tax lots": ("--demo", "tax", "lots"),
}
#: Lists whose records carry account_id (sectors belong to symbols; the exits', the lots' and
#: the harvest's records, as the README lists their fields, name no account).
ACCOUNT_LISTS = set(LISTS) - {
    "sectors show",
    "exits show",
    "exits status",
    "tax harvest",
    "tax lots",
}
LATER = "2026-11-24T15:00:00Z"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def book(pm: PmRunner) -> PmRunner:
    with freeze_time("2026-11-24T14:30:00Z"):
        assert pm("--demo", "snapshot", "--json").code == 0
        assert pm("--demo", "reconcile", "--force", "--json").code == 0
        assert pm("--demo", "book", "edit", "1", "--qty", "44", "--json").code == 0
        assert pm("--demo", "reconcile", "--force", "--json").code == 0
        assert pm("--demo", "exits", "set", "--trail", "3").code == 0
    return pm


def _decimal_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_list_writes_the_same_records_as_json_jsonl_and_csv(
    book: PmRunner, name: str
) -> None:
    args = LISTS[name]
    with freeze_time(LATER):
        as_json = book(*args, "--json")
        as_jsonl = book(*args, "--jsonl")
        as_csv = book(*args, "--csv")
    assert (as_json.code, as_jsonl.code, as_csv.code) == (0, 0, 0), as_csv.stderr
    records = _decimal_json(as_json.stdout)
    assert records, name
    assert [_decimal_json(line) for line in as_jsonl.stdout.splitlines()] == records
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        for key, value in row.items():
            if key == "source":  # the CSV writes the source's type
                assert value == record["source"]["type"]
            elif isinstance(record[key], Decimal):
                assert Decimal(value) == record[key], key
            elif record[key] is None:
                assert value == "", key


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize(("first", "second"), [("--json", "--csv"), ("--jsonl", "--json")])
def test_two_output_formats_are_a_usage_error(
    book: PmRunner, name: str, first: str, second: str
) -> None:
    out = book(*LISTS[name], first, second)
    assert out.code == 2
    assert out.stdout == ""
    error = out.error()  # --json (or --jsonl) came first: the error is the JSON object
    assert f"{first} and {second} cannot be used together" in error["message"]


def test_two_formats_are_one_usage_error(book: PmRunner) -> None:
    out = book("--demo", "positions", "--csv", "--jsonl")
    assert out.code == 2
    error = json.loads(out.stderr.strip().splitlines()[-1])  # --jsonl asks for JSON errors too
    assert (error["error"], error["reason"]) == ("BadInput", "UsageError")
    assert error["message"].startswith("--csv and --jsonl cannot be used together")


@pytest.mark.parametrize("name", sorted(ACCOUNT_LISTS))
def test_account_records_carry_account_id_pct_to_4_places_and_times_with_z(
    book: PmRunner, name: str
) -> None:
    for record in _decimal_json(book(*LISTS[name], "--json").stdout):
        assert record["account_id"].startswith("demo-"), name
        for key, value in record.items():
            if key.endswith("_pct") and value is not None:
                assert value.as_tuple().exponent == -4, (name, key, value)
            if key.endswith("_at") or key == "timestamp":
                assert value is None or ISO_Z.match(value), (name, key, value)


def test_one_name_per_concept_across_commands(book: PmRunner) -> None:
    """held_qty (not current_qty), book_qty (not db_value), daily_pl_pct signed as P/L."""
    with freeze_time(LATER):
        validation = _decimal_json(
            book("--demo", "validate", "KO", "--side", "buy", "--qty", "1", "--json").stdout
        )
        snapshot = _decimal_json(book("--demo", "snapshot", "--json").stdout)
    assert "current_qty" not in validation
    assert "daily_loss_pct" not in validation
    assert validation["held_qty"] == 0
    assert validation["daily_pl_pct"] == snapshot["daily_pl_pct"] > 0
    conflict = _decimal_json(book("--demo", "reconcile", "conflicts", "--json").stdout)[0]
    held = _decimal_json(book("--demo", "positions", "show", "AAPL", "--json").stdout)["qty"]
    assert (conflict["book_qty"], conflict["broker_qty"]) == (44, held)
    risk = _decimal_json(book("--demo", "risk", "--json").stdout)
    assert all("position_pct" in p for p in risk["positions"])
    assert all(v.as_tuple().exponent == -4 for v in risk["sector_exposure"].values())


def test_risk_says_each_breach_once_and_the_error_line_counts_them(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_LOG_FORMAT", "console")  # as at a terminal
    monkeypatch.setenv("COLUMNS", "200")
    with freeze_time(LATER):
        out = pm("--demo", "risk")
        report = _decimal_json(pm("--demo", "risk", "--json").stdout)
    breaches = [a["message"] for a in report["alerts"] if a["code"].endswith("_breached")]
    assert out.code == 1
    assert breaches
    for message in breaches:
        assert out.stdout.count(message) == 1, message
        assert message not in out.stderr  # no log line, no error line repeats it
    limits = "limit" if len(breaches) == 1 else "limits"
    assert out.stderr.splitlines()[-1] == (
        f"error: {len(breaches)} {limits} breached, risk level {report['risk_level']}"
    )
    verbose = pm("-v", "--demo", "risk")
    assert "risk limit breached" in verbose.stderr  # the log stream, with -v


def test_validate_rejection_line_names_the_failed_checks_once(pm: PmRunner) -> None:
    out = pm("--demo", "validate", "NVDA", "--side", "buy", "--notional", "20000")
    assert out.code == 1
    assert out.stderr.splitlines()[-1] == (
        "error: rejected: 2 checks failed (position limit, sector limit)"
    )
    assert out.stdout.count("NVDA would be") == 1


def test_the_close_plan_on_a_non_terminal_stderr_is_one_line(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = pm("--demo", "close", "AAPL", "--qty", "5")
    assert out.code == 2  # refused: stdin is not a terminal
    (plan,) = [line for line in out.stderr.splitlines() if line.startswith("Will sell 5 AAPL")]
    assert plan.endswith("account demo-00000000-0000-4000-8000-000000000001.")
    assert len(plan) > 80


def test_a_failed_reconcile_says_why_once(
    pm: PmRunner, alpaca: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pm("reconcile", "--json").code == 0
    alpaca.fail_with(503)
    monkeypatch.setenv("PM_LOG_FORMAT", "console")  # as at a terminal: no log lines
    out = pm("--timeout", "2", "reconcile", "--force")
    assert out.code == 3
    assert out.stdout.startswith("reconcile failed (run 2 stored; the book is untouched)")
    assert "503" not in out.stdout
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: ")
    assert "503" in line
