"""Bad input never exits 7: one clear line, the right exit code, and nothing written.

Each case runs through the real entry point after the demo account is known to the book, and
compares a dump of the SQLite database before and after.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.conftest import Outcome, PmRunner

HUGE = "1" + "0" * 400
ID23 = "12345678901234567890123"
BANNER = "SIMULATED"
LIBRARY_WORDS = ("Traceback", "Input should", "Value error", "internal error", "pydantic")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    says: str  # a fragment of the one error line
    env: dict[str, str] = field(default_factory=dict)
    config: bytes | None = None  # written to PM_CONFIG_FILE (env PM_CONFIG_FILE=@config)


CASES = {
    # SQLite took an infinite wait for none (skipped at once); PostgreSQL's int(inf) was exit 7
    "reconcile wait inf": Case(
        ("--demo", "reconcile", "--force", "--wait", "inf"), 2, "must be at most 86400"
    ),
    "qty 1e309": Case(
        ("--demo", "book", "add", "--symbol", "ZZZ", "--qty", "1e309", "--entry-price", "1"),
        2,
        "--qty 1e309 is out of range",
    ),
    "qty too fine": Case(
        ("--demo", "book", "add", "--symbol", "ZZZ", "--qty", "1e-20", "--entry-price", "1"),
        2,
        "--qty 1e-20 has more than 9 decimal places",
    ),
    "entry price 400 digits": Case(
        ("--demo", "book", "add", "--symbol", "ZZZ", "--qty", "1", "--entry-price", HUGE),
        2,
        f"--entry-price {HUGE[:23]}… is out of range",
    ),
    "strategy id too long": Case(
        (
            "--demo",
            "book",
            "add",
            "--symbol",
            "ZZZ",
            "--qty",
            "1",
            "--entry-price",
            "1",
            "--strategy-id",
            "s" * 65,
        ),
        2,
        "--strategy-id is longer than 64 characters",
    ),
    "edit qty 1e309": Case(("--demo", "book", "edit", "1", "--qty", "1e309"), 2, "out of range"),
    "validate qty 1e309": Case(
        ("--demo", "validate", "AAPL", "--side", "buy", "--qty", "1e309"), 2, "out of range"
    ),
    "close qty 1e309": Case(
        ("--demo", "close", "AAPL", "--qty", "1e309", "--yes"), 2, "--qty 1e309 is out of range"
    ),
    "close percentage nan": Case(
        ("--demo", "close", "AAPL", "--percentage", "nan", "--yes"), 2, "is not a number"
    ),
    "limit 400 digits": Case(
        ("--demo", "history", "--limit", HUGE),
        2,
        "Invalid value for '--limit': must be at most 1000000, got '1000",
    ),
    "reconcile history limit": Case(
        ("--demo", "reconcile", "history", "--limit", HUGE), 2, "must be at most 1000000"
    ),
    "since 99999999d": Case(
        ("--demo", "history", "--since", "99999999d"), 2, "reaches back before the year 1"
    ),
    "since past year 9999 in UTC": Case(
        ("--demo", "history", "--since", "9999-12-31T23:59:59-14:00"),
        2,
        "is outside the years 1 to 9999 in UTC",
    ),
    "opened-at before year 1 in UTC": Case(
        (
            "--demo",
            "book",
            "add",
            "--symbol",
            "ZZZ",
            "--qty",
            "1",
            "--entry-price",
            "1",
            "--opened-at",
            "0001-01-01T00:00:00+01:00",
        ),
        2,
        "is outside the years 1 to 9999 in UTC",
    ),
    "timeout inf": Case(
        ("--demo", "history", "--timeout", "inf"), 2, "'--timeout': must be at most 600"
    ),
    "notional over a tiny price": Case(
        ("--demo", "validate", "AAPL", "--side", "buy", "--notional", "1e14", "--price", "1e-9"),
        2,
        "--notional 1E+14 at 1E-9 is 1.000E+23 units: out of range",
    ),
    "book show 23-digit id": Case(
        ("--demo", "book", "show", ID23), 2, "must be at most 9223372036854775807"
    ),
    "book rm 23-digit id": Case(
        ("--demo", "book", "rm", ID23, "--yes"), 2, "must be at most 9223372036854775807"
    ),
    "book edit 23-digit id": Case(
        ("--demo", "book", "edit", ID23, "--qty", "1"), 2, "must be at most 9223372036854775807"
    ),
    "binary config file": Case(
        ("--demo", "history"), 2, "is not a text (UTF-8 TOML) file", config=bytes(range(256))
    ),
    "config file with a typo": Case(
        ("--demo", "history"),
        2,
        "unknown settings foo, pm_databse_url",
        config=b'pm_databse_url = "sqlite:///x.db"\nfoo = 1\n',
    ),
    "config file not TOML": Case(
        ("--demo", "history"), 2, "is not valid TOML", config=b"pm_timeout = = 3\n"
    ),
    "config value wrong": Case(
        ("--demo", "history"),
        2,
        "invalid setting: pm_timeout (in ",
        config=b'pm_timeout = "soon"\n',
    ),
    "config file is a directory": Case(
        ("--demo", "history"), 2, "is a directory", env={"PM_CONFIG_FILE": "@dir"}
    ),
    "config file missing": Case(
        ("--demo", "history"), 2, "which does not exist", env={"PM_CONFIG_FILE": "@missing"}
    ),
    # One bad environment variable under `pm --demo history`: (name, variable, value, code, says).
    **{
        name: Case(("--demo", "history"), code, says, env={variable: value})
        for name, variable, value, code, says in (
            (
                "setting not a number",
                "PM_TIMEOUT",
                "abc",
                2,
                "invalid setting: PM_TIMEOUT must be a number, got 'abc'",
            ),
            (
                "setting not a choice",
                "PM_LOG_LEVEL",
                "loud",
                2,
                "PM_LOG_LEVEL must be 'debug', 'info', 'warning', 'error' or 'critical',"
                " got 'loud'",
            ),
            (
                "setting out of range",
                "PM_RECONCILE_INTERVAL",
                "99999999999999999999d",
                2,
                "PM_RECONCILE_INTERVAL must be at most 7d, got '99999999999999999999d'",
            ),
            (
                "broker URL not a URL",
                "ALPACA_BASE_URL",
                "https://[::1",
                2,
                "ALPACA_BASE_URL is not a valid URL, got 'https://[::1'",
            ),
            ("empty database URL", "PM_DATABASE_URL", "", 6, "the database URL is empty"),
            (
                "mysql",
                "PM_DATABASE_URL",
                "mysql://u:hunter22@h/db",
                6,
                "database mysql://u:***@h/db: the driver 'mysql' is not supported",
            ),
            (
                "psycopg2",
                "PM_DATABASE_URL",
                "postgresql+psycopg2://u:hunter22@h/db",
                6,
                "the driver 'postgresql+psycopg2' is not supported",
            ),
            (
                "no scheme",
                "PM_DATABASE_URL",
                "postgresql//user:hunter22@host/db",
                6,
                "database postgresql//user:***@host/db: not a valid database URL",
            ),
        )
    },
}


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def error_lines(out: Outcome) -> list[str]:
    return [line for line in out.stderr.splitlines() if line.strip() and BANNER not in line]


@pytest.fixture
def known_book(pm: PmRunner, pm_home: Path) -> Path:
    """The demo account, learned by the book (so book commands get as far as they can)."""
    assert pm("--demo", "positions", "--json").code == 0
    return pm_home / "pm.db"


def _environment(case: Case, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = dict(case.env)
    if case.config is not None:
        (home / "config.toml").write_bytes(case.config)
        env["PM_CONFIG_FILE"] = str(home / "config.toml")
    places = {"@dir": str(home), "@missing": str(home / "nowhere.toml")}
    for name, value in env.items():
        monkeypatch.setenv(name, places.get(value, value))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line_with_the_right_code_and_writes_nothing(
    case: Case, pm: PmRunner, pm_home: Path, known_book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(known_book)
    _environment(case, pm_home, monkeypatch)
    out = pm(*case.args)
    lines = error_lines(out)
    assert out.code == case.code, out.stderr
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ")
    assert case.says in lines[0]
    assert not any(word in out.stderr for word in LIBRARY_WORDS)
    assert "hunter22" not in out.stderr + out.stdout
    assert out.stdout == ""
    assert dump(known_book) == before


@pytest.mark.parametrize("name", ["qty 1e309", "limit 400 digits", "config file missing", "mysql"])
def test_with_json_the_last_line_is_the_error_object(
    name: str, pm: PmRunner, pm_home: Path, known_book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    _environment(case, pm_home, monkeypatch)
    out = pm(*case.args, "--json")
    error = out.error()
    assert out.code == case.code
    assert error["error"] == ("BadInput" if case.code == 2 else "DatabaseError")
    assert case.says in error["message"]
    assert error["status_code"] == (400 if case.code == 2 else 503)
