"""Policy validation: every rule, each error said, all at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pm.domain.errors import BadInput
from pm.domain.policy import (
    PolicyInput,
    PolicyInvalid,
    PolicySpec,
    Target,
    build_spec,
    parse_target_arg,
)

BASE = PolicySpec(name="core")


def problems(**given: object) -> list[str]:
    with pytest.raises(PolicyInvalid) as caught:
        build_spec(PolicyInput(**given), BASE)  # type: ignore[arg-type]
    return caught.value.problems


def test_defaults_are_the_seeds() -> None:
    spec = build_spec(PolicyInput(), BASE)
    assert (
        spec.max_position_weight_pct,
        spec.max_sector_weight_pct,
        spec.min_liquidity_tier,
        spec.profit_taking_threshold_pct,
        spec.overweight_threshold_pct,
        spec.rotation_top_n,
        spec.rebalance_frequency,
        spec.targets,
    ) == (Decimal(8), Decimal(25), "B", Decimal(20), Decimal(50), 10, "daily", ())


def test_targets_and_cash_summing_to_100_pass_normalised() -> None:
    spec = build_spec(
        PolicyInput(targets=(("aapl", "8"), ("btc/usd", "2.5")), cash_pct="89.5"), BASE
    )
    assert spec.targets == (Target("AAPL", Decimal(8)), Target("BTCUSD", Decimal("2.5")))
    assert spec.cash_weight_pct == Decimal("89.5")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"max_position_pct": "0.5"}, "`max_position_pct` must be between 1 and 20"),
        ({"max_position_pct": "21"}, "`max_position_pct` must be between 1 and 20"),
        ({"max_sector_pct": "4"}, "`max_sector_pct` must be between 5 and 100"),
        ({"max_sector_pct": "101"}, "`max_sector_pct` must be between 5 and 100"),
        ({"frequency": "hourly"}, "must be one of daily, weekly, monthly"),
        ({"rotation_top_n": "x"}, "`rotation_top_n` 'x' must be a whole number"),
        ({"rotation_top_n": "0"}, "`rotation_top_n` must be between 1 and 500"),
        ({"profit_taking_pct": "0"}, "`profit_taking_pct` must be > 0"),
        ({"overweight_pct": "-1"}, "`overweight_pct` must be > 0"),
        ({"max_position_pct": "abc"}, "`max_position_pct` 'abc' is not a number"),
        (
            {"targets": (("AAPL", "0"), ("MSFT", "8")), "cash_pct": "92"},
            "`target` AAPL must have a weight > 0",
        ),
        (
            {"targets": (("AAPL", "9"),), "cash_pct": "91"},
            "`target` AAPL is 9 %, above the policy's maximum position weight of 8 %",
        ),
        ({"targets": (("AAPL", "8"),), "cash_pct": "91"}, "sum to 99 %, not 100 %"),
        ({"targets": (("AAPL", "8"), ("aapl", "8")), "cash_pct": "84"}, "AAPL is given twice"),
        ({"targets": (("BTC/USD", "8"), ("BTCUSD", "8")), "cash_pct": "84"}, "given twice"),
        ({"targets": (("1ABC", "8"),), "cash_pct": "92"}, "`target` '1ABC' is not a symbol"),
        ({"cash_pct": "10"}, "`cash_pct` needs targets"),
        ({"targets": (("AAPL", "8"),), "cash_pct": "101"}, "`cash_pct` must be between 0 and 100"),
    ],
)
def test_each_error(given: dict[str, object], expected: str) -> None:
    assert any(expected in p for p in problems(**given)), problems(**given)


def test_all_errors_at_once() -> None:
    found = problems(
        max_position_pct="30",
        max_sector_pct="1",
        frequency="hourly",
        targets=(("AAPL", "5"), ("1X", "1")),
    )
    assert len(found) >= 4
    assert "invalid policy: " in str(PolicyInvalid(found))


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(PolicyInvalid, match="`name`"):
        build_spec(PolicyInput(), PolicySpec(name="-x"))


def test_target_arg_needs_an_equals_sign() -> None:
    assert parse_target_arg("AAPL=8") == ("AAPL", "8")
    with pytest.raises(BadInput, match="SYMBOL=PCT"):
        parse_target_arg("AAPL")
