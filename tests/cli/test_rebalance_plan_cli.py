"""`pm rebalance plan` on the demo account, through the real entry point."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.records.rebalance import INTENT_COLUMNS
from tests.cli.conftest import PmRunner

PLAN_FIELDS = {
    "plan_id",
    "account_id",
    "policy",
    "trigger",
    "based_on",
    "intents",
    "totals",
    "warnings",
    "source",
}
INTENT_FIELDS = set(INTENT_COLUMNS)


def test_no_active_policy_is_not_found(pm: PmRunner) -> None:
    result = pm("--demo", "rebalance", "plan", "--json")
    assert result.code == 4
    assert "--policy" in result.error()["message"]


def test_out_dash_is_refused_not_a_file_named_dash(
    pm: PmRunner, tmp_path: Path, demo_policy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--plan -` reads stdin; `--out -` must not quietly write a file called `-`."""
    monkeypatch.chdir(tmp_path)
    result = pm("--demo", "rebalance", "plan", "--out", "-")
    assert result.code == 2
    assert result.stdout == ""
    assert "--json" in result.stderr
    assert not (tmp_path / "-").exists()


def test_a_plan_of_the_demo_account(pm: PmRunner, tmp_path: Path, demo_policy: None) -> None:
    out = tmp_path / "plan.json"
    result = pm("--demo", "rebalance", "plan", "--json", "--out", str(out))
    assert result.code == 0, result.stderr
    doc = result.json()
    assert set(doc) == PLAN_FIELDS
    assert json.loads(out.read_text()) == json.loads(result.stdout)
    assert doc["account_id"] == DEMO_ACCOUNT_ID
    assert doc["policy"]["name"] == "core"
    assert doc["trigger"] == "manual"
    assert doc["based_on"]["equity"] > 0
    assert {p["symbol"] for p in doc["based_on"]["positions"]} >= {"AAPL", "MSFT", "TSLA"}
    intents = doc["intents"]
    assert intents
    assert all(set(i) == INTENT_FIELDS for i in intents)
    sides = [i["side"] for i in intents]
    assert sides == sorted(sides, key=lambda s: s == "buy")
    by_symbol = {i["symbol"]: i for i in intents}
    assert by_symbol["AMZN"]["reason"] == "exit_not_in_targets"  # held, not targeted
    assert "TSLA" not in by_symbol  # the short is left alone (and said)
    assert any("TSLA" in w for w in doc["warnings"])
    totals = doc["totals"]
    assert totals["turnover"] == sum(i["est_value"] for i in intents)
    assert totals["drift_after_pct"] < totals["drift_before_pct"]
    min_trade = totals["min_trade"]
    assert all(i["est_value"] >= min_trade for i in intents)
    assert len(doc["plan_id"]) == 16
    again = pm("--demo", "rebalance", "plan", "--policy", "core", "--json").json()
    assert [i["symbol"] for i in again["intents"]] == [i["symbol"] for i in intents]


def test_the_table_has_totals(pm: PmRunner) -> None:
    pm("--demo", "policy", "create", "eq", "--rotation-top-n", "4")
    result = pm("--demo", "rebalance", "plan", "--policy", "eq")
    assert result.code == 0, result.stderr
    assert "exit_not_in_targets" in result.stdout
    assert "turnover" in result.stdout
    assert "drift" in result.stdout


def test_threshold_plans_only_trim(pm: PmRunner) -> None:
    pm("--demo", "policy", "create", "t", "--target", "AAPL=1", "--cash-pct", "99")
    result = pm("--demo", "rebalance", "plan", "--policy", "t", "--trigger", "threshold", "--json")
    assert result.code == 0, result.stderr
    intents = result.json()["intents"]
    assert [(i["symbol"], i["side"], i["reason"]) for i in intents] == [
        ("AAPL", "sell", "overweight_trim")
    ]
    assert intents[0]["target_pct"] == Decimal(1)


def test_a_bad_trigger_is_bad_input(pm: PmRunner) -> None:
    result = pm("--demo", "rebalance", "plan", "--trigger", "sometimes")
    assert result.code == 2
    assert "--trigger" in result.stderr


def test_orders_the_gate_would_refuse_are_left_out_and_said(pm: PmRunner) -> None:
    pm("--demo", "policy", "create", "core", "--target", "MSFT=5", "--cash-pct", "95")
    pm("--demo", "policy", "activate", "core")
    assert pm("--demo", "breaker", "trip", "--reason", "news").code == 0
    result = pm("--demo", "rebalance", "plan", "--json")
    assert result.code == 0, result.stderr
    doc = result.json()
    assert doc["intents"]
    assert all(i["side"] == "sell" for i in doc["intents"])  # reducing orders still pass
    assert any(
        w.startswith("MSFT: no order (refused by the pre-trade gate: circuit breaker HALTED")
        for w in doc["warnings"]
    )
