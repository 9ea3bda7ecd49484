"""`pm doctor` through the entry point: one line per check, exit codes, JSON, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.db.revision import HEAD_REVISION
from tests.cli.conftest import SECRET_KEY, PmRunner
from tests.support.fake_alpaca import FakeAlpaca, Reply, payload

CHECKS = ["settings", "endpoint", "credentials", "clock", "database", "schema"]


def test_demo_is_healthy_and_simulated(pm: PmRunner) -> None:
    out = pm("--demo", "doctor", "--json")
    assert out.code == 0, out.stderr
    rows = out.json()
    assert [r["check"] for r in rows] == CHECKS
    assert all(list(r) == ["check", "status", "detail", "account_id"] for r in rows)
    assert {r["check"]: r["status"] for r in rows} == {
        "settings": "ok",
        "endpoint": "simulated",
        "credentials": "simulated",
        "clock": "simulated",
        "database": "ok",
        "schema": "warn",  # a fresh database: the first command migrates it
    }
    assert {r["account_id"] for r in rows} == {DEMO_ACCOUNT_ID}
    assert pm("--demo", "doctor", "--json").json()[-1]["status"] == "ok"  # migrated since


def test_paper_account_one_line_per_check(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    out = pm("doctor")
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split()[1] for line in lines] == CHECKS
    assert lines[2].startswith("ok")
    assert "PA" in lines[2]
    # the fake broker's clock is a fixed moment in 2024: far behind this machine
    assert lines[3].startswith("warn")
    assert "ahead of the broker" in lines[3]
    assert alpaca.count("GET", "/v2/account") == 1
    assert alpaca.count("GET", "/v2/clock") == 1
    assert SECRET_KEY not in out.stdout + out.stderr


def test_without_credentials_exits_5(pm: PmRunner) -> None:
    out = pm("doctor", "--json")
    assert out.code == 5
    rows = {r["check"]: r for r in out.json()}
    assert rows["credentials"]["status"] == "fail"
    assert "ALPACA_API_KEY" in rows["credentials"]["detail"]
    assert rows["clock"]["status"] == "skipped"
    assert rows["database"]["status"] == "ok"
    assert out.error()["error"] == "CredentialsError"
    assert out.error()["message"] == "1 check failed: credentials"


@pytest.mark.parametrize(
    ("reply", "code", "error"),
    [
        (Reply(401, payload("errors/unauthorized_401")), 5, "CredentialsError"),
        (Reply(503, {"message": "down"}), 3, "BrokerUnavailable"),
    ],
)
def test_broker_failures(
    pm: PmRunner, alpaca: FakeAlpaca, reply: Reply, code: int, error: str
) -> None:
    alpaca.fail_with(reply)
    out = pm("--timeout", "1", "doctor", "--json")
    assert out.code == code, out.stderr
    assert {r["check"]: r["status"] for r in out.json()}["credentials"] == "fail"
    assert out.error()["error"] == error


def test_database_failure_exits_6_with_the_password_masked(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_DATABASE_URL", "postgresql://pm:hunter2@127.0.0.1:1/pm")
    out = pm("--demo", "doctor")
    assert out.code == 6
    assert "hunter2" not in out.stdout + out.stderr
    assert "fail      database    database postgresql://pm:***@127.0.0.1:1/pm" in out.stdout
    assert "skipped   credentials needs the database" in out.stdout


def test_schema_behind_without_auto_migrate_fails(
    pm: PmRunner, pm_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    assert pm("db", "upgrade").code == 0
    with sqlite3.connect(pm_home / "pm.db") as db:
        db.execute("update alembic_version set version_num = '0002'")
    monkeypatch.setenv("PM_AUTO_MIGRATE", "false")
    out = pm("--demo", "doctor", "--json")
    assert out.code == 6
    schema = out.json()[-1]
    assert (schema["check"], schema["status"]) == ("schema", "fail")
    assert f"at revision 0002, newest is {HEAD_REVISION}" in schema["detail"]


def test_bad_settings_exit_2(pm: PmRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PM_TIMEOUT", "soon")
    out = pm("doctor", "--json")
    assert out.code == 2
    assert out.error()["error"] == "BadInput"
    assert "PM_TIMEOUT" in out.stdout + out.stderr  # in the settings line, or the error
