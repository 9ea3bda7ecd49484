"""Logging: secrets never reach stderr, and structlog loads only when something is logged."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from pm import logging as pm_logging

SECRET = "sk-live-0123456789abcdef"


def test_events_are_json_lines_on_stderr_with_secrets_scrubbed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pm_logging.configure("info", "json", secrets=[SECRET])
    log = pm_logging.get_logger("pm.test")
    log.info("connected", url=f"https://x/?key={SECRET}", api_key="PKVISIBLE", attempt=2)
    log.debug("hidden below the level")
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["event"] == "connected"
    assert event["url"] == "https://x/?key=***"
    assert event["api_key"] == "***"
    assert event["attempt"] == 2
    assert SECRET not in captured.err


def test_library_records_are_scrubbed_too(capsys: pytest.CaptureFixture[str]) -> None:
    pm_logging.configure("debug", "json", secrets=[SECRET])
    logging.getLogger("urllib3.connectionpool").warning("retrying %s", f"/v2?k={SECRET}")
    err = capsys.readouterr().err
    assert "retrying /v2?k=***" in err
    assert SECRET not in err


def test_short_values_are_not_treated_as_secrets() -> None:
    assert pm_logging.Scrubber(["abc", SECRET]).text(f"abc {SECRET}") == "abc ***"


@pytest.mark.slow
def test_structlog_is_not_imported_when_nothing_passes_the_level() -> None:
    code = (
        "import sys; from pm import logging as l; l.configure('warning', 'json');"
        "l.get_logger('x').info('quiet'); print('structlog' in sys.modules);"
        "l.get_logger('x').warning('loud'); print('structlog' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
    assert '"event": "loud"' in done.stderr


def test_exception_carries_the_traceback_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    pm_logging.configure("info", "json", secrets=[SECRET])
    try:
        raise RuntimeError(f"boom with {SECRET}")
    except RuntimeError:
        pm_logging.get_logger("pm.test").exception("cycle failed")
    event = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert event["event"] == "cycle failed"
    assert "RuntimeError: boom with ***" in event["exception"]
