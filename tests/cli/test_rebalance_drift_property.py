"""Property: executing a plan on the demo never increases the total drift (the sum over
symbols of |weight - effective target|), whatever the policy's targets."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.pm_cli import call, isolated_env

SYMBOLS = ("AAPL", "MSFT", "XOM", "NVDA", "JPM", "KO", "META", "TSLA", "NEE", "PG")


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(SYMBOLS), st.integers(min_value=1, max_value=8), min_size=1, max_size=8
    )
)
def test_executing_a_plan_on_the_demo_never_increases_total_drift(
    targets: dict[str, int],
) -> None:
    with tempfile.TemporaryDirectory() as home, isolated_env(Path(home)):
        args = [a for s, w in targets.items() for a in ("--target", f"{s}={w}")]
        cash = 100 - sum(targets.values())
        made = call(
            "--demo", "policy", "create", "p", *args, "--cash-pct", str(cash),
            "--max-position-pct", "8",
        )  # fmt: skip
        assert made.code == 0, made.stderr
        assert call("--demo", "policy", "activate", "p").code == 0
        done = call("--demo", "rebalance", "run", "--execute", "--yes", "--queue", "--json")
        assert done.code in (0, 1), done.stderr  # 1: completed with skips
        run = done.json()
        assert run["status"] == "completed"
        before = Decimal(str(run["drift_before_pct"]))
        after = Decimal(str(run["drift_after_pct"]))
        assert after <= before + Decimal("0.01"), run["rationale"]
