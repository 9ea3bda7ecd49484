"""The rule table of `pm risk`, at and around every threshold, and the metrics behind it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.domain.limits import RiskLimits
from pm.domain.risk import Exposure, RiskLevel, assess, measure, zone

D = Decimal
LIMITS = RiskLimits()
EQUITY = D(100)  # so a market value is its own percentage


def one_position(pct: str) -> list[Exposure]:
    return [Exposure("AAA", D(pct), "Sector AAA")]


def one_sector(total: str, sector: str = "Tech") -> list[Exposure]:
    """Positions of at most 3 % (below the position warning) summing to `total` %."""
    left, items, i = D(total), [], 0
    while left > 0:
        part = min(D(3), left)
        items.append(Exposure(f"S{i}", part, sector))
        left -= part
        i += 1
    return items


@pytest.mark.parametrize(
    ("pct", "code", "level", "breached"),
    [
        ("3.9999", None, RiskLevel.LOW, False),
        ("4", "concentration_warning", RiskLevel.MEDIUM, False),  # 80 % of 5
        ("4.1", "concentration_warning", RiskLevel.MEDIUM, False),  # the example
        ("4.7499", "concentration_warning", RiskLevel.MEDIUM, False),
        ("4.75", "concentration_near_limit", RiskLevel.HIGH, False),  # 95 % of 5
        ("5", "concentration_near_limit", RiskLevel.HIGH, False),  # at the limit: not above
        ("5.0001", "concentration_breached", RiskLevel.HIGH, True),
        ("12", "concentration_breached", RiskLevel.HIGH, True),
    ],
)
def test_position_thresholds(pct: str, code: str | None, level: RiskLevel, breached: bool) -> None:
    result = assess(measure(EQUITY, one_position(pct), None), LIMITS)
    assert [a.code for a in result.alerts] == ([code] if code else [])
    assert result.level is level
    assert result.concentration_breached is breached
    assert result.breached is breached
    if code:
        alert = result.alerts[0]
        assert alert.symbol == "AAA"
        assert f"{D(pct).quantize(D('0.0001'))}%" in alert.message
        assert alert.level == ("warning" if code.endswith("_warning") else "critical")


@pytest.mark.parametrize(
    ("pct", "code", "level", "breached"),
    [
        ("19.99", None, RiskLevel.LOW, False),
        ("20", "sector_warning", RiskLevel.MEDIUM, False),
        ("23.74", "sector_warning", RiskLevel.MEDIUM, False),
        ("23.75", "sector_near_limit", RiskLevel.HIGH, False),
        ("25", "sector_near_limit", RiskLevel.HIGH, False),
        ("25.01", "sector_breached", RiskLevel.HIGH, True),
    ],
)
def test_sector_thresholds(pct: str, code: str | None, level: RiskLevel, breached: bool) -> None:
    result = assess(measure(EQUITY, one_sector(pct), None), LIMITS)
    assert [a.code for a in result.alerts] == ([code] if code else [])
    assert result.level is level
    assert result.sector_breached is breached
    assert result.concentration_breached is False
    if code:
        assert result.alerts[0].sector == "Tech"


@pytest.mark.parametrize(
    ("current", "code", "level", "breached"),
    [
        ("96.01", None, RiskLevel.LOW, False),  # 3.99 % below the peak of 100
        ("96", "drawdown_warning", RiskLevel.MEDIUM, False),
        ("95.26", "drawdown_warning", RiskLevel.MEDIUM, False),
        ("95.25", "drawdown_near_limit", RiskLevel.HIGH, False),
        ("95", "drawdown_near_limit", RiskLevel.HIGH, False),
        ("94.99", "drawdown_breached", RiskLevel.CRITICAL, True),
    ],
)
def test_drawdown_thresholds(
    current: str, code: str | None, level: RiskLevel, breached: bool
) -> None:
    metrics = measure(D(current), [], D(100))
    result = assess(metrics, LIMITS)
    assert [a.code for a in result.alerts] == ([code] if code else [])
    assert result.level is level
    assert result.drawdown_breached is breached
    if breached:
        assert result.alerts[0].level == "critical"


def test_sector_breach_escalates_a_high_level_to_critical() -> None:
    # a position near its limit alone is HIGH; with a breached sector on top: CRITICAL
    items = [Exposure("BIG", D("4.8"), "Energy"), *one_sector("26", "Tech")]
    result = assess(measure(EQUITY, items, None), LIMITS)
    assert result.level is RiskLevel.CRITICAL
    assert result.sector_breached
    assert not result.concentration_breached


def test_sector_breach_alone_is_high() -> None:
    result = assess(measure(EQUITY, one_sector("30"), None), LIMITS)
    assert result.level is RiskLevel.HIGH


def test_position_and_sector_breach_is_critical() -> None:
    items = [Exposure("BIG", D(8), "Tech"), *one_sector("20", "Tech")]
    result = assess(measure(EQUITY, items, None), LIMITS)
    assert result.concentration_breached
    assert result.sector_breached
    assert result.level is RiskLevel.CRITICAL
    assert result.alerts[0].code.endswith("_breached")  # most severe first


def test_metrics_use_absolute_values_and_sum_sectors() -> None:
    items = [
        Exposure("AAPL", D("3000"), "Tech"),
        Exposure("TSLA", D("-4500"), "Autos"),  # a short counts by its size
        Exposure("MSFT", D("1500"), "Tech"),
    ]
    m = measure(D("50000"), items, D("60000"))
    assert (m.max_concentration_symbol, m.max_concentration_pct) == ("TSLA", D("9.0000"))
    assert m.sector_exposure == {"Tech": D("9.0000"), "Autos": D("9.0000")}
    assert m.drawdown_pct == D("16.6667")  # (60000 - 50000) / 60000
    assert m.peak_equity == D("60000")


def test_peak_below_current_equity_means_no_drawdown() -> None:
    m = measure(D("120"), [], D("100"))
    assert (m.peak_equity, m.drawdown_pct) == (D("120"), D("0.0000"))


def test_non_positive_equity_is_critical() -> None:
    result = assess(measure(D("-5"), [Exposure("A", D(10), "X")], D(100)), LIMITS)
    assert result.level is RiskLevel.CRITICAL
    assert "equity_not_positive" in [a.code for a in result.alerts]
    assert result.metrics.max_concentration_pct is None


def test_limits_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from pm.config import load_settings

    monkeypatch.setenv("PM_MAX_POSITION_PCT", "10")
    monkeypatch.setenv("PM_RISK_WARN_RATIO", "0.5")
    limits = load_settings().risk_limits
    assert limits.max_position_pct == D(10)
    assert zone(D(5), limits.max_position_pct, limits) == "warning"
    assert zone(D("4.99"), limits.max_position_pct, limits) == "ok"
    assert zone(D("10.01"), limits.max_position_pct, limits) == "breached"


money = st.decimals(min_value=-(10**7), max_value=10**7, places=2, allow_nan=False)


@pytest.mark.slow
@given(
    equity=st.decimals(min_value=1, max_value=10**8, places=2),
    values=st.lists(money, max_size=30),
    sectors=st.lists(st.sampled_from(["A", "B", "C", "Unknown"]), min_size=30, max_size=30),
)
def test_concentration_and_sector_exposure_never_negative(
    equity: Decimal, values: list[Decimal], sectors: list[str]
) -> None:
    items = [Exposure(f"S{i}", v, sectors[i]) for i, v in enumerate(values)]
    m = measure(equity, items, None)
    assert m.max_concentration_pct is not None
    assert m.max_concentration_pct >= 0
    assert all(p >= 0 for p in m.sector_exposure.values())
    assert all(p >= 0 for p in m.position_pct.values())
    assert m.drawdown_pct >= 0
    if values:
        assert m.max_concentration_pct == max(m.position_pct.values())
