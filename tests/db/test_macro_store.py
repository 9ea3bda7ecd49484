"""The macro cache on both backends: upsert refreshes, latest per series and source."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pm.db.repository import SqlRepository
from pm.domain.regime import Observation
from tests.support.clocks import T0


def test_latest_per_series_and_source(repo: SqlRepository) -> None:
    cache = repo.macro
    d1, d2 = date(2024, 12, 5), date(2024, 12, 6)
    cache.save(
        "fred",
        [
            Observation("VIXCLS", d1, Decimal("13.54")),
            Observation("VIXCLS", d2, Decimal("12.77")),
            Observation("T10Y2Y", d1, Decimal("0.04")),
        ],
        T0,
    )
    cache.save("demo", [Observation("VIXCLS", d2, Decimal("20"))], T0)
    found = cache.latest("fred", ["VIXCLS", "T10Y2Y", "UNRATE"])
    assert set(found) == {"VIXCLS", "T10Y2Y"}
    assert found["VIXCLS"].observation == Observation("VIXCLS", d2, Decimal("12.77"))
    assert found["VIXCLS"].fetched_at == T0
    assert cache.latest("demo", ["VIXCLS"])["VIXCLS"].observation.value == Decimal("20")


def test_a_refetch_refreshes_value_and_fetch_time(repo: SqlRepository) -> None:
    cache = repo.macro
    d = date(2024, 12, 6)
    cache.save("fred", [Observation("VIXCLS", d, Decimal("12.77"))], T0)
    later = T0 + timedelta(minutes=10)
    cache.save("fred", [Observation("VIXCLS", d, Decimal("12.80"))], later)
    hit = cache.latest("fred", ["VIXCLS"])["VIXCLS"]
    assert hit.observation.value == Decimal("12.80")
    assert hit.fetched_at == later
    cache.save("fred", [], later)  # nothing to store: no error
    assert cache.latest("fred", ["T10Y2Y"]) == {}
