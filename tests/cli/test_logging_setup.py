"""Logging is configured by `pm.cli.main`, from the settings and -v/--debug, not as a side
effect of reading the settings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pm import logging as pm_logging
from pm.cli.context import AppContext
from tests.cli.conftest import PmRunner


@pytest.fixture(autouse=True)
def quiet() -> None:
    pm_logging.configure("critical", "json")


def test_reading_settings_leaves_logging_alone(pm_home: Path) -> None:
    assert AppContext().settings.pm_log_level == "warning"
    assert logging.getLogger().level == logging.CRITICAL


@pytest.mark.parametrize(
    ("args", "level"),
    [
        (("--demo", "history"), logging.WARNING),
        (("--demo", "history", "-v"), logging.INFO),
        (("-vv", "--demo", "history"), logging.DEBUG),
        (("--demo", "history", "--debug"), logging.DEBUG),
    ],
)
def test_main_configures_logging_before_the_command(
    pm: PmRunner, args: tuple[str, ...], level: int
) -> None:
    assert pm(*args).code == 0
    assert logging.getLogger().level == level


def test_help_reads_no_settings(pm: PmRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PM_TIMEOUT", "not a number")
    assert pm("history", "--help").code == 0
    assert pm("history").code == 2  # the same bad setting, once the command runs


def test_bad_settings_leave_doctor_to_report_them(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_TIMEOUT", "soon")
    out = pm("doctor", "--json", "-v")
    assert out.code == 2
    rows = out.json()
    assert (rows[0]["check"], rows[0]["status"]) == ("settings", "fail")
    assert "PM_TIMEOUT must be a number, got 'soon'" in rows[0]["detail"]
    assert {r["status"] for r in rows[1:]} == {"skipped"}
    assert logging.getLogger().level == logging.INFO  # -v still counted
