"""The Terminal, the fitting table and the records, below the command line."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rich.console import Console

from pm.cli.terminal import Terminal
from pm.cli.views.table import Col, FitTable, time_col
from pm.domain.models import Position, Source
from pm.records import positions as position_records
from pm.records.common import pct

AT = datetime(2026, 11, 24, 14, 30, 5, 123456, tzinfo=UTC)


def render(renderable: object, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, no_color=True, highlight=False)
    console.print(renderable)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def test_pct_fields_are_written_to_4_places() -> None:
    position = Position(
        asset_id="a1",
        symbol="AAPL",
        qty=Decimal("10"),
        side="long",
        asset_class="us_equity",
        avg_entry_price=Decimal("100"),
        current_price=Decimal("104.123456"),
        market_value=Decimal("1041.23456"),
        cost_basis=Decimal("1000"),
        unrealized_pl=Decimal("41.23456"),
        unrealized_pl_pct=Decimal("4.123456"),  # Alpaca's plpc x 100 carries every digit
    )
    record = position_records.position(position, Source("live", "alpaca", AT), "acct-1")
    assert str(record["unrealized_pl_pct"]) == "4.1235"
    assert record["account_id"] == "acct-1"
    assert record["asset_id"] == "a1"
    assert pct(None) is None
    assert str(pct(Decimal("-0.00005"))) == "-0.0000"  # half-even
    assert str(pct(Decimal("5"))) == "5.0000"


def _table() -> FitTable:
    columns = (
        Col("Symbol"),
        Col("Note", 3),
        Col("Qty", right=True),
        Col("Price", 2, right=True),
        time_col("When", 1),
    )
    rows = [
        ("BTCUSD", "a long strategy note", "0.123456789", "64,784.41", "2026-11-24T14:30:05Z"),
        ("AAPL", "", "-12", "214.28", "2026-11-24T14:31:00Z"),
    ]
    return FitTable(columns, rows, notes=["from the test"])


def test_a_wide_terminal_shows_every_column_without_a_footer() -> None:
    text = render(_table(), 120)
    assert "Note" in text
    assert "2026-11-24T14:30:05Z" in text
    assert "dropped" not in text


def test_columns_are_shortened_then_dropped_by_priority_never_cut() -> None:
    table = _table()
    shown, shortened, footer = table.layout(56)
    assert [table.columns[i].header for i in shown] == ["Symbol", "Qty", "Price", "When"]
    assert [table.columns[i].header for i in shortened] == ["When"]
    assert footer == [
        "at 56 columns: dropped Note; When to the minute; widen the terminal or use --json"
    ]
    text = render(table, 56)
    assert "…" not in text
    assert "2026-11-24T14:30Z" in text
    assert "0.123456789" in text
    assert max(len(line) for line in text.splitlines()[:6]) <= 56
    narrow = render(table, 50)  # Price goes too, and then the time fits whole again
    assert "Price" not in narrow.splitlines()[1]  # the header row
    assert "2026-11-24T14:30:05Z" in narrow
    assert "0.123456789" in narrow
    assert "…" not in narrow


def test_the_computed_width_is_the_width_rich_draws() -> None:
    """layout() counts borders and padding as Rich draws them, boxed and bare."""
    for box in (True, False):
        table = FitTable(_table().columns, _table().rows, box=box)
        for width in range(30, 100):
            shown, _, _ = table.layout(width)
            drawn = render(table, width).splitlines()
            assert "…" not in "\n".join(drawn), (box, width)
            if len(shown) > 2:  # beyond the always-kept columns it must fit
                assert max(len(line.rstrip()) for line in drawn[:6]) <= width, (box, width)


def test_two_formats_are_refused_and_the_same_one_twice_is_not() -> None:
    from typer._click.exceptions import UsageError

    terminal = Terminal()
    terminal.choose("json", "--json")
    terminal.choose("json", "--json")
    assert terminal.machine
    with pytest.raises(UsageError, match="--json and --csv cannot be used together"):
        terminal.choose("csv", "--csv")


def test_stderr_off_a_terminal_is_never_hard_wrapped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    line = "Will sell 5 AAPL to close 5 of the position, account demo-" + "0" * 60
    Terminal().say(line)
    Terminal().warn(line)
    err = capsys.readouterr().err.splitlines()
    assert err == [line, f"warning: {line}"]


@pytest.mark.parametrize(
    ("configured", "verbose", "debug", "fmt", "tty", "expected"),
    [
        ("warning", 0, False, None, True, "critical"),  # the output says it: no log lines
        ("warning", 0, False, None, False, "warning"),  # JSON log stream off a terminal
        ("warning", 0, False, "json", True, "warning"),
        ("warning", 1, False, None, True, "info"),  # -v shows them at the console
        ("warning", 2, False, None, True, "debug"),
        ("info", 0, False, None, True, "info"),  # a level the user chose stays
        ("warning", 0, True, None, True, "debug"),
    ],
)
def test_log_level_says_each_event_once(
    monkeypatch: pytest.MonkeyPatch,
    configured: str,
    verbose: int,
    debug: bool,
    fmt: str | None,
    tty: bool,
    expected: str,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty, raising=False)
    level = Terminal.log_level(configured, verbose=verbose, debug=debug, fmt=fmt)
    assert level == expected
