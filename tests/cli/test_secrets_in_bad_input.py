"""Secrets stay secret in malformed input: a mistyped database URL is masked wherever it is
shown, and its password is scrubbed from logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pm import logging as pm_logging
from pm.cli.context import AppContext
from pm.config import load_settings
from pm.db.urls import mask_url, url_passwords
from tests.cli.conftest import PmRunner

PASSWORD = "hunter22-Pw"
# a mistyped URL, and how it is shown: when the user cannot be told from the scheme, both go
MISTYPED = {
    f"postgresql//user:{PASSWORD}@host/db": "postgresql//user:***@host/db",
    f"postgresql:/user:{PASSWORD}@host/db": "postgresql:***@host/db",
    f"user:{PASSWORD}@host/db": "user:***@host/db",
}


@pytest.mark.parametrize("url", MISTYPED)
def test_mask_url_hides_the_password_of_a_mistyped_url(url: str) -> None:
    assert mask_url(url) == MISTYPED[url]


@pytest.mark.parametrize("url", MISTYPED)
def test_the_password_of_a_mistyped_url_is_known_to_the_scrubber(url: str) -> None:
    assert PASSWORD in url_passwords(url)


def test_a_percent_encoded_password_is_scrubbed_in_both_spellings() -> None:
    assert url_passwords("postgresql://u:p%40ss%2Fword@h/db") == ["p%40ss%2Fword", "p@ss/word"]
    assert url_passwords("sqlite:///tmp/a:b@c.db") == []


@pytest.mark.parametrize("url", MISTYPED)
def test_errors_and_config_show_mask_it(
    url: str, pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_DATABASE_URL", url)
    failed = pm("--demo", "history", "--json")
    assert failed.code == 6
    assert failed.error()["message"].startswith(f"database {MISTYPED[url]}:")
    shown = pm("config", "show", "--json")
    assert shown.code == 0, shown.stderr
    assert shown.json()["settings"]["PM_DATABASE_URL"]["value"] == MISTYPED[url]
    for out in (failed, shown):
        assert PASSWORD not in out.stdout + out.stderr


def test_logs_scrub_it(
    pm_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PM_DATABASE_URL", f"postgresql:/user:{PASSWORD}@host/db")
    settings = load_settings()
    pm_logging.configure("info", "json", AppContext.secrets(settings))
    pm_logging.get_logger("pm.test").info("opening", url=settings.pm_database_url)
    event = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert PASSWORD not in event["url"]
    assert event["url"].endswith("***@host/db")
