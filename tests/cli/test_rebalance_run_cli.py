"""`pm rebalance run` without --execute: the dry run, and a plan read back and checked."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca


@pytest.fixture
def plan_text(pm: PmRunner, demo_policy: None) -> str:
    planned = pm("--demo", "rebalance", "plan", "--json")
    assert planned.code == 0, planned.stderr
    return planned.stdout


def edited(text: str, change: Any) -> str:
    doc = json.loads(text, parse_float=Decimal)
    change(doc)
    return json.dumps(doc, default=str)


def test_without_a_plan_the_dry_run_is_the_plan(pm: PmRunner, plan_text: str) -> None:
    dry = pm("--demo", "rebalance", "run", "--json")
    assert dry.code == 0, dry.stderr
    assert [i["symbol"] for i in dry.json()["intents"]] == [
        i["symbol"] for i in json.loads(plan_text)["intents"]
    ]


def test_a_plan_read_back_passes_every_check(pm: PmRunner, plan_text: str) -> None:
    checked = pm("--demo", "rebalance", "run", "--plan", "-", "--json", input=plan_text)
    assert checked.code == 0, checked.stderr
    doc = checked.json()
    assert (doc["status"], doc["dry_run"]) == ("checked", True)
    assert doc["plan_id"] == json.loads(plan_text)["plan_id"]
    assert doc["warnings"] == []  # not edited: its plan_id still matches its content
    assert "nothing was sent" in checked.stderr


def test_an_edited_plan_without_a_symbol_is_checked_and_said(pm: PmRunner, plan_text: str) -> None:
    def drop_nvda(doc: dict[str, Any]) -> None:
        doc["intents"] = [i for i in doc["intents"] if i["symbol"] != "NVDA"]

    checked = pm(
        "--demo", "rebalance", "run", "--plan", "-", "--json", input=edited(plan_text, drop_nvda)
    )
    assert checked.code == 0, checked.stderr
    doc = checked.json()
    assert "NVDA" not in {i["symbol"] for i in doc["intents"]}
    assert any("edited" in w for w in doc["warnings"])


def test_a_stale_plan_is_refused(pm: PmRunner, plan_text: str) -> None:
    def move_price(doc: dict[str, Any]) -> None:
        doc["based_on"]["positions"][0]["price"] *= Decimal("1.03")  # 3 % > 2 %

    stale = edited(plan_text, move_price)
    refused = pm("--demo", "rebalance", "run", "--plan", "-", "--json", input=stale)
    assert refused.code == 1
    assert refused.error()["message"].startswith("plan is stale: ")
    allowed = pm(
        "--demo", "rebalance", "run", "--plan", "-", "--max-price-move-pct", "5", input=stale
    )
    assert allowed.code == 0, allowed.stderr

    def change_qty(doc: dict[str, Any]) -> None:
        doc["based_on"]["positions"][0]["qty"] += 1

    qty = pm("--demo", "rebalance", "run", "--plan", "-", input=edited(plan_text, change_qty))
    assert qty.code == 1
    assert "plan is stale" in qty.stderr


def test_an_invalid_plan_exits_2_with_every_problem(pm: PmRunner, plan_text: str) -> None:
    def break_it(doc: dict[str, Any]) -> None:
        doc["intents"][0]["side"] = "hold"
        doc["intents"][1]["qty"] = -1
        doc["intents"][2]["qty"] = 10_000  # sells more than held

    bad = pm(
        "--demo", "rebalance", "run", "--plan", "-", "--json", input=edited(plan_text, break_it)
    )
    assert bad.code == 2
    error = bad.error()
    assert error["reason"] == "PlanInvalid"
    assert len(error["problems"]) == 3
    garbage = pm("--demo", "rebalance", "run", "--plan", "-", input="not json")
    assert garbage.code == 2
    both = pm("--demo", "rebalance", "run", "--plan", "-", "--policy", "core", input=plan_text)
    assert both.code == 2


@pytest.mark.parametrize("given", ["", "\n", "  \n\n"])
def test_an_empty_plan_on_stdin_says_so_in_one_line(pm: PmRunner, given: str) -> None:
    """What a pipeline hands on when the command before the pipe failed: nothing."""
    empty = pm("--demo", "rebalance", "run", "--plan", "-", "--execute", "--yes", input=given)
    assert empty.code == 2
    assert empty.stdout == ""
    (line,) = [x for x in empty.stderr.splitlines() if x.startswith("error:")]
    assert line == (
        "error: invalid plan (stdin): empty: no plan to check (did the command that wrote it fail?)"
    )


def test_an_invalid_plan_is_exit_2_even_while_the_broker_is_down(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    """The document is checked before the broker is asked anything: a broken jq filter in a
    cron pipeline is bad input to fix, not an outage to retry."""
    alpaca.script(*[503] * 8, path="/v2/account")
    bad = pm("rebalance", "run", "--plan", "-", "--execute", "--yes", "--json", input="{}")
    assert bad.code == 2, bad.stderr
    assert bad.error()["reason"] == "PlanInvalid"


def test_an_intent_the_gate_refuses_fails_the_check(pm: PmRunner, plan_text: str) -> None:
    def oversize(doc: dict[str, Any]) -> None:
        buy = next(i for i in doc["intents"] if i["side"] == "buy")
        buy["qty"] = 60  # far above the 5 % position limit, within the cash

    refused = pm("--demo", "rebalance", "run", "--plan", "-", input=edited(plan_text, oversize))
    assert refused.code == 1
    assert "pre-trade validation rejected" in refused.stderr
    assert "position limit" in refused.stderr

    def overspend(doc: dict[str, Any]) -> None:
        buy = next(i for i in doc["intents"] if i["side"] == "buy")
        buy["qty"] = 5_000

    broke = pm("--demo", "rebalance", "run", "--plan", "-", input=edited(plan_text, overspend))
    assert broke.code == 1
    assert "the plan's buys need" in broke.stderr
