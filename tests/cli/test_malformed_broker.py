"""Impossible numbers from the broker are a malformed answer: exit 3, one line, nothing written.

Each case is served by the fake Alpaca to the five commands that read the account and its
positions; none may print the number, store it, or fail any other way (an equity of "1e400"
once made them exit 7).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca, payload

COMMANDS = [
    ("snapshot",),
    ("positions",),
    ("reconcile",),
    ("risk",),
    ("validate", "AAPL", "--side", "buy", "--qty", "1"),
]

Break = Callable[[FakeAlpaca], None]


def _position(srv: FakeAlpaca, index: int, **changes: Any) -> None:
    positions = [dict(p) for p in srv.positions]
    positions[index].update(changes)
    srv.positions = positions


def _account(srv: FakeAlpaca, **changes: Any) -> None:
    srv.account = {**srv.account, **changes}


CASES: dict[str, tuple[Break, str]] = {
    "huge qty": (lambda s: _position(s, 0, qty="1e400"), "out of range"),
    "huge equity": (lambda s: _account(s, equity="1e400"), "out of range"),
    "19 integer digits": (
        lambda s: _account(s, cash="1234567890123456789"),
        "more than 18 digits",
    ),
    "infinite price": (lambda s: _position(s, 0, current_price="Infinity"), "not a finite"),
    "NaN market value": (lambda s: _position(s, 1, market_value="NaN"), "not a finite"),
    "negative price": (lambda s: _position(s, 0, current_price="-232.87"), "negative"),
    "negative entry price": (lambda s: _position(s, 2, avg_entry_price="-1"), "negative"),
    "long with negative qty": (
        lambda s: _position(s, 0, qty="-10", qty_available="-10"),
        "a long position with qty -10",
    ),
    "short with positive qty": (
        lambda s: _position(s, 1, qty="5", qty_available="5"),
        "a short position with qty 5",
    ),
    "symbol listed twice": (
        lambda s: setattr(s, "positions", [*s.positions, payload("trading/position_aapl")]),
        "AAPL is listed twice",
    ),
    "crypto listed in both spellings": (
        lambda s: setattr(
            s,
            "positions",
            [*s.positions, {**payload("trading/position_crypto_btcusd"), "symbol": "BTC/USD"}],
        ),
        "listed twice",
    ),
}


def _rows(db: Path) -> dict[str, int]:
    """Rows per table, the schema's own bookkeeping left out."""
    if not db.exists():
        return {}
    with sqlite3.connect(db) as conn:
        tables = [
            name
            for (name,) in conn.execute("select name from sqlite_master where type = 'table'")
            if name != "alembic_version"
        ]
        counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    return {t: n for t, n in counts.items() if n}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_numbers_exit_3_and_write_nothing(
    case: str, pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    spoil, expected = CASES[case]
    spoil(alpaca)
    for command in COMMANDS:
        done = pm(*command)
        assert done.code == 3, (command, done.code, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        # one error line (reconcile also logs the failure as one JSON line, for cron)
        errors = [line for line in lines if not line.startswith("{")]
        assert len(errors) == 1, (command, done.stderr)
        assert "malformed" in errors[0], (command, errors[0])
        assert expected in errors[0], (command, errors[0])
        assert "e+400" not in done.stdout.lower()
        if command != ("reconcile",):  # reconcile reports its failed run on stdout
            assert done.stdout == "", (command, done.stdout)
    # Nothing from the answer is stored; reconcile keeps only the record of its failed run
    # (and which account these credentials reach, when the account itself was well formed).
    stored = _rows(pm_home / "pm.db")
    assert set(stored) <= {"reconciliation_runs", "accounts"}, stored
    assert stored.get("reconciliation_runs", 0) <= 1


def test_the_reference_payloads_still_pass(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    """The checks refuse only the impossible: the documented shapes pass every command."""
    for command in COMMANDS[:4]:
        done = pm(*command)
        assert done.code in (0, 1), (command, done.stderr)  # risk may exit 1 on a breach
