"""`pm exits` end to end on the demo, the clock frozen and stepped day by day (the demo's
prices are a function of the date): a take-profit level fires once and never again, the
trailing stop follows the high-water mark (minute bars of the days stepped over included)
and sells the rest when crossed, and the state survives every process (each `call` is one)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pm.broker.demo.prices import price_on
from pm.broker.demo.universe import lookup
from tests.support.pm_cli import call, isolate

AAPL_ENTRY = Decimal("198.40")
D0 = date(2026, 3, 2)  # a Monday


def weekdays(n: int) -> list[date]:
    days = [D0 + timedelta(days=i) for i in range(n * 2)]
    return [d for d in days if d.weekday() < 5][:n]


def price(symbol: str, day: date) -> Decimal:
    instrument = lookup(symbol)
    assert instrument is not None
    return price_on(instrument, day)


def gain(day: date) -> Decimal:
    return (price("AAPL", day) / AAPL_ENTRY - 1) * 100


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[datetime]:
    isolate(monkeypatch, tmp_path)
    now = [datetime.combine(D0, time(15), tzinfo=UTC)]
    monkeypatch.setattr("pm.cli.context.SystemClock.now", lambda self: now[0])
    return now


def status(symbol: str) -> dict[str, object]:
    done = call("--demo", "exits", "status", "--json")
    assert done.code == 0, done.stderr
    return next(p for p in done.json() if p["symbol"] == symbol)


@pytest.mark.slow
def test_a_ladder_level_fires_once_on_the_day_it_is_reached(clock: list[datetime]) -> None:
    days = weekdays(40)
    later = next(i for i, d in enumerate(days) if gain(d) > gain(days[0]) + 1)
    level = ((gain(days[0]) + gain(days[later])) / 2).quantize(Decimal("0.01"))
    done = call("--demo", "exits", "set", "AAPL", "--take-profit", f"{level}:50", "--no-trail")
    assert done.code == 0, done.stderr
    sent = []
    for day in days[: later + 5]:
        clock[0] = datetime.combine(day, time(15), tzinfo=UTC)
        run = call("--demo", "exits", "check", "--execute", "--yes", "--json")
        assert run.code == 0, run.stderr
        sent += [(day, f["level"], f["qty"], f["status"]) for f in run.json()["fires"]]
    name = f"tp{level.normalize():f}"
    assert sent == [(days[later], name, Decimal("13.5"), "filled")]
    row = status("AAPL")
    assert row["qty"] == Decimal("13.5")
    (executed,) = row["executed"]  # type: ignore[misc]
    assert executed["client_order_id"] == f"pm-exit-{row['position_key']}-{name}"
    orders = call("--demo", "orders", "--status", "all", "--json").json()
    assert [(o["origin"], o["client_order_id"]) for o in orders] == [
        ("exit", executed["client_order_id"])
    ]
    # what happened, newest first, as stored: the fire, then its order
    events = call("--demo", "exits", "events", "--json", "--limit", "1000").json()
    aapl = [(e["kind"], e["message"]) for e in events if e["symbol"] == "AAPL"]
    assert aapl[:2] == [
        ("order", f"{name}: {executed['client_order_id']} 13.5 filled"),
        ("fire", f"{name}: gain {gain(days[later]):.2f} % reached take-profit {level} % (50 %)"),
    ]
    assert all(e["position_key"] == row["position_key"] for e in events if e["symbol"] == "AAPL")
    newest = call("--demo", "exits", "events", "--jsonl", "--limit", "1").stdout.splitlines()
    assert [json.loads(line)["kind"] for line in newest] == ["order"]
    later_on = (clock[0] + timedelta(days=1)).date().isoformat()
    assert call("--demo", "exits", "events", "--json", "--since", later_on).json() == []


@pytest.mark.slow
def test_the_trailing_stop_follows_the_high_and_sells_the_rest(clock: list[datetime]) -> None:
    days = weekdays(60)
    trail = Decimal(2)
    done = call(
        "--demo",
        "exits",
        "set",
        "MSFT",
        "--no-take-profit",
        "--trail",
        str(trail),
        "--activate-at",
        "0",
        "--breakeven-at",
        "1000",
    )
    assert done.code == 0, done.stderr
    # the first check starts tracking; then skip a week: the bars of the days in between
    # move the high-water mark although no check saw them
    assert call("--demo", "exits", "check", "--json").code == 0
    entry = Decimal("405.10")
    best = max(entry, price("MSFT", days[0]))
    skipped = days[1:6]
    best_week = max(best, *(price("MSFT", d) for d in skipped))
    clock[0] = datetime.combine(days[5], time(15), tzinfo=UTC)
    row = status("MSFT")
    assert Decimal(str(row["hwm"])) == best_week
    best = best_week
    fired_on = None
    for day in days[6:]:
        clock[0] = datetime.combine(day, time(15), tzinfo=UTC)
        p = price("MSFT", day)
        stop = (best * (1 - trail / 100)).quantize(Decimal("0.0001"), rounding="ROUND_CEILING")
        run = call("--demo", "exits", "check", "--execute", "--yes", "--json")
        assert run.code == 0, run.stderr
        fires = run.json()["fires"]
        if p <= stop:
            assert [(f["level"], f["qty"], f["status"]) for f in fires] == [
                ("trail", Decimal(8), "filled")
            ]
            fired_on = day
            break
        assert fires == []
        best = max(best, p)
    assert fired_on is not None
    listed = call("--demo", "exits", "status", "--json").json()
    assert "MSFT" not in [p["symbol"] for p in listed]
    # the next day: nothing more (the position is gone, its state closed)
    clock[0] += timedelta(days=1)
    again = call("--demo", "exits", "check", "--execute", "--yes", "--json")
    assert again.json()["fires"] == []


@pytest.mark.slow
def test_the_watch_job_alerts_and_sends_only_when_told(
    clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    done = call("--demo", "exits", "set", "AAPL", "--take-profit", "1:50", "--no-trail")
    assert done.code == 0, done.stderr
    watched = call("--demo", "watch", "--once", "--json")
    assert watched.code == 0, watched.stderr
    lines = [json.loads(x) for x in watched.stdout.splitlines() if x.strip()]
    (job,) = [e for e in lines if e.get("job") == "exits"]
    assert job["status"] == "completed"
    assert job["exits"]["executed"] is False
    assert [(f["symbol"], f["level"]) for f in job["exits"]["fires"]] == [("AAPL", "tp1")]
    assert call("--demo", "orders", "--status", "all", "--json").json() == []
    # PM_EXITS_AUTO_EXECUTE=true: the next run sends it (the interval has passed)
    monkeypatch.setenv("PM_EXITS_AUTO_EXECUTE", "true")
    clock[0] += timedelta(minutes=2)
    watched = call("--demo", "watch", "--once", "--json")
    lines = [json.loads(x) for x in watched.stdout.splitlines() if x.strip()]
    (job,) = [e for e in lines if e.get("job") == "exits"]
    assert job["exits"]["executed"] is True
    assert [(f["level"], f["status"]) for f in job["exits"]["fires"]] == [("tp1", "filled")]
    orders = call("--demo", "orders", "--status", "all", "--json").json()
    assert [o["origin"] for o in orders] == ["exit"]


def test_yes_without_execute_is_refused_not_ignored(clock: list[datetime]) -> None:
    """`pm exits check --yes` in a crontab would look like it sends; it never did."""
    assert call("--demo", "exits", "set", "--take-profit", "1:50").code == 0
    done = call("--demo", "exits", "check", "--yes", "--json")
    assert done.code == 2
    assert "--execute" in done.error()["message"]
    assert call("--demo", "orders", "--status", "all", "--json").json() == []


def test_bad_rules_are_refused_and_a_missing_rule_is_not_found(clock: list[datetime]) -> None:
    bad = call("--demo", "exits", "set", "--take-profit", "10")
    assert bad.code == 2
    assert "GAIN:SHARE" in bad.stderr
    over = call("--demo", "exits", "set", "--take-profit", "10:60", "--take-profit", "20:60")
    assert over.code == 2
    assert "more than 100" in over.stderr
    native = call("--demo", "exits", "set", "AAPL", "--native", "--take-profit", "10:50")
    assert native.code == 2
    for ignored in ("--activate-at", "--breakeven-at"):  # Alpaca trails from the start
        done = call("--demo", "exits", "set", "AAPL", "--native", "--trail", "3", ignored, "5")
        assert done.code == 2
        assert ignored in done.stderr
    assert call("--demo", "exits", "rm", "AAPL").code == 4
    assert call("--demo", "exits", "show", "--json").json() == []
    assert call("--demo", "exits", "set", "AAPL", "--trail", "4").code == 0
    (rule,) = call("--demo", "exits", "show", "--json").json()
    assert (rule["symbol"], rule["trail_pct"], rule["ladder_from_policy"]) == ("AAPL", 4, True)
    assert [(x["gain_pct"], round(x["share_pct"], 2)) for x in rule["take_profit"]] == [
        (20, Decimal("33.33"))
    ]
    assert call("--demo", "exits", "rm", "AAPL").code == 0


def test_a_take_profit_level_is_a_number_a_person_could_mean(clock: list[datetime]) -> None:
    huge = call("--demo", "exits", "set", "--take-profit", "1e400:25", "--json")
    assert huge.code == 2
    assert "out of range" in huge.error()["message"]
    fine = call("--demo", "exits", "set", "--take-profit", "10:25.0000000001")
    assert fine.code == 2
    assert "decimal places" in fine.stderr
    assert call("--demo", "exits", "show", "--json").json() == []


def test_rule_percentages_are_written_to_4_places(clock: list[datetime]) -> None:
    """The policy's default ladder closes a third: share_pct 33.3333, not 28 digits."""
    assert call("--demo", "exits", "set", "AAPL", "--trail", "4").code == 0
    (rule,) = call("--demo", "exits", "show", "--json").json()
    (level,) = rule["take_profit"]
    assert str(level["share_pct"]) == "33.3333"
    aapl = status("AAPL")
    assert str(aapl["next_level"]["share_pct"]) == "33.3333"  # type: ignore[index]


def test_an_empty_or_malformed_symbol_is_never_the_accounts_rule(clock: list[datetime]) -> None:
    """`pm exits rm "$SYM"` with SYM unset must not remove the account's default rule."""
    assert call("--demo", "exits", "set", "--take-profit", "10:25").code == 0
    for args in (("rm", ""), ("rm", " "), ("set", "", "--trail", "4"), ("set", "AA PL")):
        done = call("--demo", "exits", *args)
        assert done.code == 2, (args, done.stderr)
        assert "not a symbol" in done.stderr
    (rule,) = call("--demo", "exits", "show", "--json").json()
    assert rule["symbol"] == "*"
    assert rule["take_profit"] == [{"gain_pct": 10, "share_pct": 25}]
    # longer than any symbol the database holds (32): PostgreSQL failed it as exit 6
    too_long = call("--demo", "exits", "set", "A" * 33, "--trail", "4")
    assert too_long.code == 2
    assert "not a symbol" in too_long.stderr
    assert call("--demo", "exits", "set", "AAPL240119C00190000", "--trail", "4").code == 0
    assert call("--demo", "exits", "rm", "AAPL240119C00190000").code == 0
    assert call("--demo", "exits", "set", "btc/usd", "--trail", "4").code == 0
    assert call("--demo", "exits", "rm", "BTC/USD").code == 0


def test_executed_levels_are_written_as_every_record_writes_times_and_numbers(
    clock: list[datetime],
) -> None:
    """`executed[].at` in UTC with Z, `executed[].qty` a number: not the stored JSON's text."""
    level = (gain(D0) / 2).quantize(Decimal("0.01"))
    assert call("--demo", "exits", "set", "AAPL", "--take-profit", f"{level}:50").code == 0
    run = call("--demo", "exits", "check", "--execute", "--yes", "--json")
    assert run.code == 0, run.stderr
    (executed,) = next(p for p in run.json()["positions"] if p["symbol"] == "AAPL")["executed"]
    assert executed["qty"] == Decimal("13.5")
    assert executed["at"] == "2026-03-02T15:00:00Z"
    (again,) = status("AAPL")["executed"]  # type: ignore[misc]
    assert again == executed


def test_looking_fires_nothing_into_the_event_log(clock: list[datetime]) -> None:
    """`exits status` and a dry `exits check` (the watch job without auto-execute, every
    minute) send nothing: no `fire` event each time they look, one when it is sent."""
    level = (gain(D0) / 2).quantize(Decimal("0.01"))
    assert call("--demo", "exits", "set", "AAPL", "--take-profit", f"{level}:50").code == 0
    for args in (("status",), ("check",), ("check",)):
        assert call("--demo", "exits", *args).code == 0
    kinds = [e["kind"] for e in call("--demo", "exits", "events", "--json").json()]
    assert "fire" not in kinds
    assert call("--demo", "exits", "check", "--execute", "--yes").code == 0
    assert call("--demo", "exits", "check", "--execute", "--yes").code == 0
    events = call("--demo", "exits", "events", "--json").json()
    assert [e["kind"] for e in events if e["kind"] in ("fire", "order")] == ["order", "fire"]
