"""The rebalance pipeline through the installed `pm` and a real shell with jq:
`pm rebalance plan --json | jq ... | pm rebalance run --plan -` (the dry run, checked in full)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_installed_entry_point import env, pm_script, run  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def activate_core(pm_script: Path, env: dict[str, str]) -> None:  # noqa: F811
    """The demo account with policy `core` (5 % AAPL, 5 % MSFT, 90 % cash) created and active."""
    for args in (
        ["policy", "create", "core", "--target", "AAPL=5", "--target", "MSFT=5",
         "--cash-pct", "90"],
        ["policy", "activate", "core"],
    ):  # fmt: skip
        done = run([pm_script, "--demo", *args], env)
        assert done.returncode == 0, done.stderr


def through_bash(pipeline: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:  # noqa: F811
    """Run a shell pipeline; with pipefail any failing stage fails the whole."""
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(shutil.which("jq") is None, reason="needs jq")
def test_plan_jq_run_pipeline(pm_script: Path, env: dict[str, str]) -> None:  # noqa: F811
    pm = str(pm_script)
    activate_core(pm_script, env)
    pipeline = (
        f"{pm} --demo rebalance plan --json"
        " | jq '.intents |= map(select(.symbol != \"AMZN\"))'"
        f" | {pm} --demo rebalance run --plan - --json"
    )
    done = through_bash(pipeline, env)
    assert done.returncode == 0, done.stderr
    checked = json.loads(done.stdout)
    symbols = {i["symbol"] for i in checked["intents"]}
    assert "AMZN" not in symbols
    assert "AMT" in symbols  # the other exits are still there
    assert checked["status"] == "checked"
    assert any("edited" in w for w in checked["warnings"])


@pytest.mark.skipif(shutil.which("jq") is None, reason="needs jq")
def test_plan_jq_run_execute_pipeline(pm_script: Path, env: dict[str, str]) -> None:  # noqa: F811
    """The issue's pipeline, executing: plan --json | jq | run --plan - --execute --yes."""
    pm = str(pm_script)
    activate_core(pm_script, env)
    pipeline = (
        f"{pm} --demo rebalance plan --json"
        " | jq '.intents |= map(select(.symbol != \"TSLA\"))'"
        f" | {pm} --demo rebalance run --plan - --execute --yes --queue --json"
    )
    done = through_bash(pipeline, env)
    assert done.returncode == 0, done.stderr
    executed = json.loads(done.stdout)
    assert executed["status"] == "completed"
    sent = {o["symbol"] for o in executed["orders"]}
    assert "TSLA" not in sent
    assert "AMT" in sent
    assert all(o["status"] == "filled" for o in executed["orders"])
    held = json.loads(run([pm_script, "--demo", "positions", "--json"], env).stdout)
    symbols = {p["symbol"] for p in held}
    assert "TSLA" in symbols  # the edit kept it
    assert "AMT" not in symbols  # sold by the run
    listed = json.loads(run([pm_script, "--demo", "rebalance", "list", "--json"], env).stdout)
    assert [(r["run_id"], r["status"]) for r in listed] == [(executed["run_id"], "completed")]
