"""`pm policy ...` on the demo account, through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.records.policy import COLUMNS
from tests.cli.conftest import PmRunner

# `policy show|create --json`: the columns of `policy list`, with the targets in full, not counted
POLICY_FIELDS = (set(COLUMNS) - {"targets_count"}) | {"targets"}


def test_create_show_list_activate_rm(pm: PmRunner) -> None:
    made = pm(
        "--demo",
        "policy",
        "create",
        "core",
        "--description",
        "two names",
        "--target",
        "aapl=8",
        "--target",
        "MSFT=7.5",
        "--cash-pct",
        "84.5",
        "--frequency",
        "weekly",
        "--json",
    )
    assert made.code == 0, made.stderr
    data = made.json()
    assert set(data) == POLICY_FIELDS
    assert data["account_id"] == DEMO_ACCOUNT_ID
    assert data["targets"] == [
        {"symbol": "AAPL", "weight_pct": 8},
        {"symbol": "MSFT", "weight_pct": 7.5},
    ]
    assert (data["rebalance_frequency"], data["is_active"]) == ("weekly", False)

    listed = pm("--demo", "policy", "list", "--csv")
    assert listed.code == 0
    assert listed.stdout.splitlines()[0].startswith("account_id,id,name,")
    assert ",core,two names," in listed.stdout

    active = pm("--demo", "policy", "activate", "core", "--json")
    assert active.json()["is_active"] is True
    pm("--demo", "policy", "create", "other")
    pm("--demo", "policy", "activate", "other")
    shown = pm("--demo", "policy", "show", "core", "--json")
    assert shown.json()["is_active"] is False

    removed = pm("--demo", "policy", "rm", "core", "--yes", "--json")
    assert removed.code == 0, removed.stderr
    gone = pm("--demo", "policy", "show", "core", "--json")
    assert gone.code == 4
    assert gone.error()["error"] == "NotFound"


def test_all_validation_errors_at_once_exit_2_nothing_written(pm: PmRunner) -> None:
    bad = pm(
        "--demo",
        "policy",
        "create",
        "bad",
        "--max-position-pct",
        "30",
        "--max-sector-pct",
        "2",
        "--frequency",
        "hourly",
        "--target",
        "AAPL=40",
        "--json",
    )
    assert bad.code == 2
    error = bad.error()
    assert (error["error"], error["reason"]) == ("BadInput", "PolicyInvalid")
    assert len(error["problems"]) == 5
    for said in ("--max-position-pct", "--max-sector-pct", "--frequency", "not 100 %"):
        assert said in error["message"]
    assert pm("--demo", "policy", "list", "--json").json() == []


def test_targets_from_a_csv_file_and_from_show_json_on_stdin(pm: PmRunner, tmp_path: Path) -> None:
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("symbol,weight_pct\nAAPL,5\nMSFT,5\n")
    made = pm("--demo", "policy", "create", "a", "--targets", str(csv_file), "--cash-pct", "90")
    assert made.code == 0, made.stderr
    shown = pm("--demo", "policy", "show", "a", "--json").stdout
    doc = json.loads(shown)
    doc["targets"][0]["weight_pct"] = 4
    doc["cash_weight_pct"] = 91
    copied = pm(
        "--demo", "policy", "create", "b", "--targets", "-", "--json", input=json.dumps(doc)
    )
    assert copied.code == 0, copied.stderr
    assert copied.json()["targets"][0] == {"symbol": "AAPL", "weight_pct": 4}
    assert copied.json()["cash_weight_pct"] == 91


def test_edit_replaces_targets_and_checks_in_full(pm: PmRunner) -> None:
    pm("--demo", "policy", "create", "c", "--target", "AAPL=8", "--cash-pct", "92")
    edited = pm("--demo", "policy", "edit", "c", "--target", "MSFT=6", "--cash-pct", "94", "--json")
    assert edited.code == 0, edited.stderr
    assert edited.json()["targets"] == [{"symbol": "MSFT", "weight_pct": 6}]
    refused = pm("--demo", "policy", "edit", "c", "--max-position-pct", "5")
    assert refused.code == 2
    assert "above the policy's maximum position weight of 5 %" in refused.stderr
    nothing = pm("--demo", "policy", "edit", "c")
    assert nothing.code == 2
    missing = pm("--demo", "policy", "edit", "zz", "--frequency", "weekly")
    assert missing.code == 4


def test_a_bad_name_is_said_with_the_other_errors_and_a_taken_one_refused(pm: PmRunner) -> None:
    bad = pm("--demo", "policy", "create", "core!", "--frequency", "hourly", "--json")
    assert bad.code == 2
    assert len(bad.error()["problems"]) == 2
    assert pm("--demo", "policy", "create", "core").code == 0
    taken = pm("--demo", "policy", "create", "core")
    assert taken.code == 2
    assert "already exists" in taken.stderr
