"""`pm config show`: environment over the TOML file over defaults, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import SECRET_KEY, PmRunner


def write_config(home: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = home / "config.toml"
    path.write_text(text)
    monkeypatch.setenv("PM_CONFIG_FILE", str(path))


def test_file_values_apply_and_the_environment_wins(
    pm: PmRunner, pm_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        pm_home,
        monkeypatch,
        'pm_log_level = "info"\npm_timeout = 12\n'
        'pm_database_url = "postgresql://trader:hunter2@db.internal/pm"\n',
    )
    monkeypatch.delenv("PM_DATABASE_URL")
    monkeypatch.setenv("PM_TIMEOUT", "7")
    monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET_KEY)
    result = pm("config", "show", "--json")
    assert result.code == 0, result.stderr
    settings = result.json()["settings"]
    assert settings["PM_LOG_LEVEL"] == {"value": "info", "origin": "file"}
    assert settings["PM_TIMEOUT"]["value"] == 7
    assert settings["PM_TIMEOUT"]["origin"] == "env"
    assert settings["PM_DATABASE_URL"]["value"] == "postgresql://trader:***@db.internal/pm"
    assert settings["ALPACA_SECRET_KEY"] == {"value": "***", "origin": "env"}
    assert settings["ALPACA_BASE_URL"]["origin"] == "default"
    assert "hunter2" not in result.stdout + result.stderr
    assert SECRET_KEY not in result.stdout + result.stderr


def test_options_are_reported_as_such(pm: PmRunner) -> None:
    settings = pm("--demo", "--timeout", "3", "config", "show", "--json").json()["settings"]
    assert settings["PM_BROKER"] == {"value": "demo", "origin": "option"}
    assert settings["PM_TIMEOUT"]["origin"] == "option"


def test_an_option_beats_the_environment_and_says_so(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the value shown was the option's, but its origin said "env"
    monkeypatch.setenv("PM_TIMEOUT", "9")
    monkeypatch.setenv("PM_BROKER", "alpaca")
    settings = pm("--demo", "--timeout", "3", "config", "show", "--json").json()["settings"]
    assert settings["PM_BROKER"] == {"value": "demo", "origin": "option"}
    assert settings["PM_TIMEOUT"] == {"value": 3, "origin": "option"}


def test_an_invalid_setting_is_a_one_line_usage_error(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALPACA_BASE_URL", "https://paper-api.alpaca.markets/v2")
    result = pm("config", "show")
    assert result.code == 2
    assert "/v2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_config_file_is_a_usage_error(
    pm: PmRunner, pm_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(pm_home, monkeypatch, "pm_timeout = = 3\n")
    result = pm("config", "show")
    assert result.code == 2
    assert "config.toml" in result.stderr


def test_table_at_a_terminal(pm: PmRunner) -> None:
    result = pm("config", "show")
    assert result.code == 0
    assert "PM_DATABASE_URL" in result.stdout
    assert "config file:" in result.stdout
