"""Every table at 80 and 120 columns, as plain text (NO_COLOR), against stored snapshots.

The demo account at a frozen time gives the same figures on every run. At 80 columns no
number, quantity, symbol or id may be cut to an ellipsis: low-priority columns are dropped
instead and a footer says so. To accept a deliberate change of layout, rerun with
PM_UPDATE_SNAPSHOTS=1 and review the diff of tests/cli/snapshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.cli.conftest import Outcome, PmRunner

SNAPSHOTS = Path(__file__).parent / "snapshots"
FROZEN = "2026-11-24T14:30:00Z"
UPDATE = os.environ.get("PM_UPDATE_SNAPSHOTS") == "1"  # read before pm_home clears PM_*

#: name -> the pm arguments whose stdout is the table (after the set-up in `_book`).
TABLES = {
    "positions": ("--demo", "positions"),
    "book-list": ("--demo", "book", "list", "--closed"),
    "history": ("--demo", "history"),
    "reconcile-history": ("--demo", "reconcile", "history"),
    "reconcile-conflicts": ("--demo", "reconcile", "conflicts"),
    "risk": ("--demo", "risk"),
    "validate": ("--demo", "validate", "NVDA", "--side", "buy", "--notional", "9000"),
    "sectors-show": ("--demo", "sectors", "show", "AAPL", "BTCUSD", "SPY", "ZZZZ"),
    "close": ("--demo", "close", "AAPL", "--qty", "5", "--yes"),
    "close-all": ("--demo", "close-all", "--emergency", "--yes"),
}


def _book(pm: PmRunner) -> None:
    """A history, a conflict and a closed row, so that every table has rows."""
    assert pm("--demo", "snapshot", "--json").code == 0
    assert pm("--demo", "reconcile", "--force", "--json").code == 0
    assert pm("--demo", "book", "edit", "1", "--qty", "44", "--json").code == 0
    assert pm("--demo", "reconcile", "--force", "--json").code == 0
    assert pm("--demo", "snapshot", "--json").code == 0


def _render(pm: PmRunner, monkeypatch: pytest.MonkeyPatch, width: int) -> dict[str, Outcome]:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("NO_COLOR", "1")
    with freeze_time(FROZEN):
        _book(pm)
        return {name: pm(*args) for name, args in TABLES.items()}


@pytest.mark.parametrize("width", [80, 120])
def test_tables_match_their_snapshots(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    outputs = _render(pm, monkeypatch, width)
    for name, out in outputs.items():
        assert out.code in (0, 1), f"{name}: {out.stderr}"
        path = SNAPSHOTS / f"{name}-{width}.txt"
        if UPDATE:
            path.parent.mkdir(exist_ok=True)
            path.write_text(out.stdout, encoding="utf-8")
        assert out.stdout == path.read_text(encoding="utf-8"), f"{name} at {width} columns"


@pytest.mark.parametrize("width", [80, 120])
def test_nothing_is_cut_and_nothing_is_wider_than_the_terminal(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    for name, out in _render(pm, monkeypatch, width).items():
        assert out.stdout.strip(), name
        assert "…" not in out.stdout, f"{name} cut a cell at {width} columns:\n{out.stdout}"
        assert max(len(line) for line in out.stdout.splitlines()) <= width, name


def test_at_80_columns_the_footer_names_the_dropped_columns(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _render(pm, monkeypatch, 80)
    positions = out["positions"].stdout
    assert "dropped" not in _render_wide(pm, monkeypatch)
    assert "at 80 columns: dropped Side, Avg entry; widen the terminal or use --json" in positions
    for kept in ("Symbol", "Qty", "Market value", "Unrealized P/L", "BTCUSD", "0.1", "-12"):
        assert kept in positions
    assert " 1 │ AAPL" in out["book-list"].stdout  # the ids are shown


def _render_wide(pm: PmRunner, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "200")
    with freeze_time(FROZEN):
        return pm("--demo", "positions").stdout
