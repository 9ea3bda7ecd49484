"""`pm rebalance run --execute`, `resume`, `show`, `list`: on the demo (any hour, with
--queue) and against the Alpaca stand-in (market hours, queued orders, pending, resume)."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pm.db.engine import open_database
from pm.db.tables import orders, rebalance_runs
from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca, Reply, payload


def runs_in(pm_home: Path) -> list[dict[str, object]]:
    with open_database(f"sqlite:///{pm_home / 'pm.db'}") as db, db.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(select(rebalance_runs))]


def db_rows(pm_home: Path, table: object) -> list[dict[str, object]]:
    with open_database(f"sqlite:///{pm_home / 'pm.db'}") as db, db.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(select(table))]  # type: ignore[arg-type]


@pytest.fixture
def db_path(pm_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PM_DATABASE_URL", f"sqlite:///{pm_home / 'pm.db'}")
    return pm_home


def plan_then_run(pm: PmRunner) -> tuple[dict[str, Any], Any]:
    """The demo's plan as JSON, then `rebalance run --execute` of it (succeeded)."""
    planned = pm("--demo", "rebalance", "plan", "--json").json()
    done = pm("--demo", "rebalance", "run", "--execute", "--yes", "--queue", "--json")
    assert done.code == 0, done.stderr
    return planned, done


def test_a_demo_run_executes_the_plan_and_is_shown_and_listed(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    planned, done = plan_then_run(pm)
    run = done.json()
    assert run["status"] == "completed"
    assert run["skipped"] == []
    assert [i["symbol"].replace("/", "") for i in run["intents"]] == [
        i["symbol"] for i in planned["intents"]
    ]
    assert {o["status"] for o in run["orders"]} == {"filled"}
    assert all(
        o["client_order_id"].startswith(f"pm-rebalance-{run['run_id']}-") for o in run["orders"]
    )
    sides = [o["side"] for o in run["orders"]]
    assert sides == sorted(sides, key=lambda s: s == "buy")  # every sell before any buy
    assert Decimal(str(run["drift_after_pct"])) < Decimal(str(run["drift_before_pct"]))
    assert run["metrics"]["orders_filled"] == len(run["intents"])
    stored = runs_in(db_path)
    assert [(r["status"], r["trigger_type"]) for r in stored] == [("completed", "manual")]
    assert stored[0]["completed_at"] is not None
    assert stored[0]["trace_id"] == run["trace_id"]
    assert {o["origin"] for o in db_rows(db_path, orders)} == {"rebalance"}
    # the book followed the fills: a reconciliation finds nothing to change
    recon = pm("--demo", "reconcile", "--force", "--json").json()
    assert (recon["added"], recon["removed"], recon["conflicts"]) == (0, 0, 0)
    shown = pm("--demo", "rebalance", "show", str(run["run_id"]), "--json")
    assert shown.code == 0
    assert shown.json()["fills"] == run["fills"]
    assert len(run["fills"]) == len(run["orders"])
    listed = pm("--demo", "rebalance", "list", "--json").json()
    assert [(r["run_id"], r["status"]) for r in listed] == [(run["run_id"], "completed")]
    csv = pm("--demo", "rebalance", "list", "--csv", "--status", "completed")
    assert csv.stdout.splitlines()[0].startswith("run_id,status,trigger")
    assert pm("--demo", "rebalance", "list", "--status", "failed", "--json").json() == []
    table = pm("--demo", "rebalance", "list")
    assert "manual 1; 1/1 completed" in table.stdout


def test_not_confirmed_sends_and_stores_nothing(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    refused = pm("--demo", "rebalance", "run", "--execute", "--queue")
    assert refused.code == 2
    assert runs_in(db_path) == []
    assert db_rows(db_path, orders) == []


def test_unknown_runs_and_bad_options(pm: PmRunner, db_path: Path, demo_policy: None) -> None:
    assert pm("--demo", "rebalance", "show", "99").code == 4
    assert pm("--demo", "rebalance", "resume", "99").code == 4
    assert pm("--demo", "rebalance", "run", "--run", "99", "--execute", "--yes").code == 4
    assert pm("--demo", "rebalance", "list", "--status", "done").code == 2
    assert pm("--demo", "rebalance", "run", "--policy", "x", "--run", "1").code == 2
    bad = pm("--demo", "rebalance", "run", "--execute", "--yes", "--limit-slippage-bps", "-5")
    assert bad.code == 2
    assert pm("--demo", "rebalance", "run", "--execute", "--yes", "--policy", "nope").code == 4


def test_the_jq_style_edited_plan_executes(pm: PmRunner, db_path: Path, demo_policy: None) -> None:
    import json

    doc = json.loads(pm("--demo", "rebalance", "plan", "--json").stdout)
    doc["intents"] = [i for i in doc["intents"] if i["symbol"] != "AMZN"]
    done = pm(
        "--demo", "rebalance", "run", "--plan", "-", "--execute", "--yes", "--queue", "--json",
        input=json.dumps(doc),
    )  # fmt: skip
    assert done.code == 0, done.stderr
    run = done.json()
    assert "AMZN" not in {o["symbol"] for o in run["orders"]}
    assert run["status"] == "completed"
    held = {p["symbol"] for p in pm("--demo", "positions", "--json").json()}
    assert "AMZN" in held


def test_a_shown_run_writes_its_intents_and_metrics_as_json_numbers(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    planned, done = plan_then_run(pm)
    for shown in (done, pm("--demo", "rebalance", "show", str(done.json()["run_id"]), "--json")):
        run = shown.json()  # numbers parse as Decimal, strings stay str
        for intent, plan_intent in zip(run["intents"], planned["intents"], strict=True):
            for key in ("qty", "est_price", "target_pct", "current_pct"):
                assert isinstance(intent[key], Decimal), (key, intent[key])
                assert intent[key] == plan_intent[key], key
        metrics = run["metrics"]
        for key in ("sell_value", "buy_value", "cash_after", "drift_before_pct"):
            assert isinstance(metrics[key], Decimal), (key, metrics[key])
        assert metrics["sell_value"] == planned["totals"]["sell_value"]
        assert metrics["drift_after_pct"] == run["drift_after_pct"]


def test_the_run_list_takes_jsonl_as_every_list_does(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    assert pm("--demo", "rebalance", "run", "--execute", "--yes", "--queue").code == 0
    as_json = pm("--demo", "rebalance", "list", "--json").json()
    as_jsonl = pm("--demo", "rebalance", "list", "--jsonl")
    assert as_jsonl.code == 0, as_jsonl.stderr
    lines = as_jsonl.stdout.splitlines()
    assert [json.loads(line, parse_float=Decimal, parse_int=Decimal) for line in lines] == as_json
    assert pm("--demo", "rebalance", "list", "--jsonl", "--csv").code == 2


def test_the_run_list_status_is_a_choice_in_any_case(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    assert pm("--demo", "rebalance", "run", "--execute", "--yes", "--queue").code == 0
    lower = pm("--demo", "rebalance", "list", "--status", "completed", "--json").json()
    upper = pm("--demo", "rebalance", "list", "--status", "COMPLETED", "--json")
    assert upper.code == 0, upper.stderr
    assert upper.json() == lower
    assert len(lower) == 1


def test_a_demo_run_with_limit_slippage_fills_its_marketable_limit_orders(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    done = pm(
        "--demo", "rebalance", "run", "--execute", "--yes", "--queue",
        "--limit-slippage-bps", "25", "--json",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    run = done.json()
    assert run["status"] == "completed"
    assert run["skipped"] == []
    assert {(o["order_type"], o["status"]) for o in run["orders"]} == {("limit", "filled")}
    for o, i in zip(run["orders"], run["intents"], strict=True):
        assert o["filled_avg_price"] == i["est_price"]  # the day's price, within the limit
        if o["side"] == "buy":
            assert o["limit_price"] > i["est_price"]
        else:
            assert o["limit_price"] < i["est_price"]


def test_a_runs_drift_is_written_to_4_places_as_every_pct(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    assert pm("--demo", "rebalance", "run", "--execute", "--yes", "--queue").code == 0
    edit = pm("--demo", "policy", "edit", "core", "--target", "AAPL=4", "--cash-pct", "96")
    assert edit.code == 0, edit.stderr
    replan = pm("--demo", "rebalance", "plan", "--json").stdout
    from_plan = pm(
        "--demo", "rebalance", "run", "--plan", "-", "--execute", "--yes", "--queue", input=replan
    )  # fmt: skip
    assert from_plan.code == 0, from_plan.stderr
    records = [
        *pm("--demo", "rebalance", "list", "--json").json(),
        pm("--demo", "rebalance", "show", "1", "--json").json(),
        pm("--demo", "rebalance", "show", "2", "--json").json(),
    ]
    for record in records:
        for key in ("drift_before_pct", "drift_after_pct"):
            assert record[key].as_tuple().exponent == -4, (key, record[key])
    shown = pm("--demo", "rebalance", "show", "1")  # the table and the rationale: to the cent
    assert re.search(r"^drift \d+\.\d\d % -> \d+\.\d\d %$", shown.stdout, re.M), shown.stdout
    assert re.search(r"; drift \d+\.\d\d -> \d+\.\d\d %$", shown.stdout, re.M), shown.stdout


def test_after_a_run_the_next_plan_has_nothing_to_trade_or_warn_of(
    pm: PmRunner, db_path: Path, demo_policy: None
) -> None:
    assert pm("--demo", "rebalance", "run", "--execute", "--yes", "--queue").code == 0
    again = pm("--demo", "rebalance", "plan", "--json")
    assert again.code == 0, again.stderr
    plan = again.json()
    assert plan["intents"] == []
    # each target is a cent or so off: in step, not a trade skipped (`0.00 < 99.73`)
    assert [w for w in plan["warnings"] if "skipped" in w] == []
    assert "skipped" not in again.stderr


# -- against the Alpaca stand-in --------------------------------------------------------------


@pytest.fixture
def alpaca_policy(pm: PmRunner, alpaca: FakeAlpaca) -> FakeAlpaca:
    alpaca.activities = []
    alpaca.positions = [p for p in alpaca.positions if p["symbol"] == "AAPL"]
    assert pm("policy", "create", "core", "--target", "AAPL=1", "--cash-pct", "99").code == 0
    assert pm("policy", "activate", "core").code == 0
    return alpaca


def test_market_closed_is_refused_with_the_next_open(
    pm: PmRunner, alpaca_policy: FakeAlpaca, pm_home: Path
) -> None:
    alpaca_policy.clock = payload("trading/clock_closed")
    refused = pm("rebalance", "run", "--execute", "--yes")
    assert refused.code == 2, refused.stderr
    assert "market is closed" in refused.stderr
    assert "--queue" in refused.stderr
    assert alpaca_policy.count("POST", "/v2/orders") == 0


def test_queued_orders_leave_the_run_pending_and_resume_finishes_it(
    pm: PmRunner, alpaca_policy: FakeAlpaca, pm_home: Path
) -> None:
    server = alpaca_policy
    server.clock = payload("trading/clock_closed")
    server.fill_orders = False  # held for the open
    queued = pm(
        "rebalance", "run", "--execute", "--yes", "--queue", "--fill-timeout", "0.2", "--json"
    )
    assert queued.code == 0, queued.stderr
    run = queued.json()
    assert run["status"] == "pending"
    assert "resume" in run["rationale"]
    assert server.count("POST", "/v2/orders") == len(run["intents"]) == 1
    early = pm("rebalance", "resume", str(run["run_id"]), "--fill-timeout", "0", "--json")
    assert early.code == 0
    assert early.json()["status"] == "pending"
    for order in list(server.orders.values()):  # the open: the broker fills what it held
        server._fill(order)
    done = pm("rebalance", "resume", str(run["run_id"]), "--json")
    assert done.code == 0, done.stderr
    assert done.json()["status"] == "completed"
    assert server.count("POST", "/v2/orders") == 1  # looked up, never sent again


# -- triggers: pm watch --------------------------------------------------------------------------


@pytest.fixture
def overweight_policy(pm: PmRunner) -> None:
    # the demo holds about 6 % AAPL: beyond 2 % x 1.5, so the threshold trigger fires
    made = pm("--demo", "policy", "create", "core", "--target", "AAPL=2", "--cash-pct", "98")
    assert made.code == 0, made.stderr
    assert pm("--demo", "policy", "activate", "core").code == 0


def watch_jobs(pm: PmRunner) -> dict[str, dict[str, object]]:
    done = pm("--demo", "watch", "--once", "--json", "--interval", "1")
    assert done.code == 0, done.stderr
    import json

    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {str(e["job"]): e for e in events if e.get("event") == "job"}


def test_the_threshold_trigger_stores_a_pending_run_and_an_alert_then_approval_runs_it(
    pm: PmRunner, db_path: Path, overweight_policy: None
) -> None:
    jobs = watch_jobs(pm)
    assert jobs["rebalance-threshold"]["status"] == "completed"
    assert "rebalance-scheduled" in jobs
    (run,) = pm("--demo", "rebalance", "list", "--status", "pending", "--json").json()
    assert run["trigger"] == "threshold"
    assert "wait for approval (PM_REBALANCE_AUTO_EXECUTE" in run["rationale"]
    assert db_rows(db_path, orders) == []  # nothing sent without PM_REBALANCE_AUTO_EXECUTE
    alerts = pm("--demo", "alerts", "--json").json()
    assert any(a["code"] == "rebalance_threshold_pending" for a in alerts)
    shown = pm("--demo", "rebalance", "show", str(run["run_id"]), "--json").json()
    assert [(i["symbol"], i["side"], i["reason"]) for i in shown["intents"]] == [
        ("AAPL", "sell", "overweight_trim")
    ]
    # a second cycle does not pile up another run while this one waits
    time.sleep(1.1)  # the jobs' interval
    again = watch_jobs(pm)["rebalance-threshold"]
    assert again["status"] == "skipped"
    assert len(runs_in(db_path)) == 1
    approved = pm(
        "--demo", "rebalance", "run", "--run", str(run["run_id"]), "--execute", "--yes",
        "--queue", "--json",
    )  # fmt: skip
    assert approved.code == 0, approved.stderr
    assert approved.json()["status"] == "completed"
    assert [o["symbol"] for o in approved.json()["orders"]] == ["AAPL"]


def test_with_auto_execute_the_trigger_executes(
    pm: PmRunner, db_path: Path, overweight_policy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_REBALANCE_AUTO_EXECUTE", "true")
    job = watch_jobs(pm)["rebalance-threshold"]
    assert job["status"] == "completed"
    (run,) = runs_in(db_path)
    if "market is closed" in str(run["rationale"] or ""):  # the demo's own hours: it waits
        assert run["status"] == "pending"
        assert db_rows(db_path, orders) == []
    else:
        assert run["status"] == "completed"
        assert [o["origin"] for o in db_rows(db_path, orders)] == ["rebalance"]


def test_an_approval_is_needed_for_a_pending_triggered_run(
    pm: PmRunner, db_path: Path, overweight_policy: None
) -> None:
    watch_jobs(pm)
    (run,) = runs_in(db_path)
    refused = pm("--demo", "rebalance", "resume", str(run["id"]))
    assert refused.code == 1
    assert "approval" in refused.stderr
    assert db_rows(db_path, orders) == []


def test_an_order_the_broker_never_received_fails_the_run_and_resume_sends_it_again(
    pm: PmRunner, alpaca_policy: FakeAlpaca, pm_home: Path
) -> None:
    server = alpaca_policy
    server.script(Reply(503, payload("errors/internal_error_500")), path="/v2/orders")
    failed = pm("rebalance", "run", "--execute", "--yes", "--json")
    assert failed.code == 3, failed.stderr
    (run,) = runs_in(pm_home)
    assert run["status"] == "failed"
    assert "never reached the broker" in str(run["rationale"])
    assert server.count("POST", "/v2/orders") == 1
    assert server.orders == {}  # the broker holds nothing
    done = pm("rebalance", "resume", str(run["id"]), "--json")
    assert done.code == 0, done.stderr
    resumed = done.json()
    assert resumed["status"] == "completed"
    assert [o["status"] for o in resumed["orders"]] == ["not_sent", "filled"]
    first, second = (o["client_order_id"] for o in resumed["orders"])
    assert first.startswith(f"pm-rebalance-{run['id']}-1.0-")
    assert second.startswith(f"pm-rebalance-{run['id']}-1.1-")
    assert list(server.orders) == [second]


def test_a_refused_order_completes_the_run_with_skips_and_exit_1(
    pm: PmRunner, alpaca_policy: FakeAlpaca, pm_home: Path
) -> None:
    server = alpaca_policy
    server.order_replies["AAPL"] = Reply(403, payload("errors/insufficient_buying_power_403"))
    done = pm("rebalance", "run", "--execute", "--yes", "--json")
    assert done.code == 1, done.stderr
    run = done.json()
    assert run["status"] == "completed"
    assert [(s["symbol"], s["reason"]) for s in run["skipped"]] == [("AAPL", "rejected")]
    assert "partly executed" in done.stderr
    # why, in the broker's words: in the skip, the rationale and the closing error line
    assert "insufficient buying power" in run["skipped"][0]["detail"]
    assert "insufficient buying power" in run["rationale"]
    assert "insufficient buying power" in done.error()["message"]


def test_limit_slippage_makes_limit_orders_beyond_the_estimate(
    pm: PmRunner, alpaca_policy: FakeAlpaca, pm_home: Path
) -> None:
    done = pm("rebalance", "run", "--execute", "--yes", "--limit-slippage-bps", "50", "--json")
    assert done.code == 0, done.stderr
    (order,) = done.json()["orders"]
    (intent,) = done.json()["intents"]
    est = Decimal(intent["est_price"])
    assert order["order_type"] == "limit"
    limit = Decimal(str(order["limit_price"]))
    if order["side"] == "sell":
        assert limit == (est * Decimal("0.995")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    else:
        assert limit == (est * Decimal("1.005")).quantize(Decimal("0.01"), rounding="ROUND_UP")


def test_approving_a_pending_run_after_the_account_changed_is_refused_as_stale(
    pm: PmRunner, db_path: Path, overweight_policy: None
) -> None:
    watch_jobs(pm)
    (run,) = runs_in(db_path)
    assert pm("--demo", "close", "AAPL", "--qty", "1", "--yes").code == 0
    stale = pm(
        "--demo", "rebalance", "run", "--run", str(run["id"]), "--execute", "--yes", "--queue"
    )
    assert stale.code == 1
    assert "plan is stale" in stale.stderr
    assert [o["origin"] for o in db_rows(db_path, orders)] == ["close"]  # nothing of the run's
    (failed,) = runs_in(db_path)  # it can never be approved now: the next trigger plans anew
    assert failed["status"] == "failed"
    assert "not approved in time" in str(failed["rationale"])
