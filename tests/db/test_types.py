"""Decimal and datetime columns come back exactly as written, on both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from pm.db.engine import make_engine
from pm.db.types import DecimalType, UTCDateTime

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

metadata = MetaData()
values = Table(
    "type_roundtrip",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", DecimalType()),
    Column("at", UTCDateTime()),
)


@pytest.fixture(scope="module", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_schemas: Callable[[], str],
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('types')) / 'types.db'}"
    else:
        url = pg_schemas()
    engine = make_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def roundtrip(engine: Engine, **row: object) -> tuple[object, ...]:
    with engine.begin() as conn:
        conn.execute(delete(values))
        conn.execute(insert(values).values(id=1, **row))
    with engine.connect() as conn:
        return tuple(conn.execute(select(values.c.amount, values.c.at)).one())


# Finite decimals: up to 30 significant digits, exponents from tiny to huge, either sign.
decimals = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(int(d) for d in str(digits)), exponent)),
    st.integers(0, 1),
    st.integers(0, 10**30 - 1),
    st.integers(-200, 200),
) | st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: abs(d.adjusted()) < 300
)


@pytest.mark.slow
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=decimals)
def test_decimal_roundtrip_is_exact(engine: Engine, value: Decimal) -> None:
    (stored, _) = roundtrip(engine, amount=value)
    assert isinstance(stored, Decimal)
    assert stored == value
    if engine.dialect.name == "sqlite":
        assert str(stored) == str(value)  # even the exponent survives on SQLite


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-0.00",
        "0.1",
        "123456789012345678901234567890",
        "-0.000000000000000000000000000001",
        "1E+100",
        "1.5E-150",
        "99999999999999999999.9999999999",
    ],
)
def test_decimal_examples(engine: Engine, value: str) -> None:
    (stored, _) = roundtrip(engine, amount=Decimal(value))
    assert stored == Decimal(value)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), 1.5, "1.5", True])
def test_decimal_refuses_non_decimals(engine: Engine, bad: object) -> None:
    with pytest.raises(StatementError):
        roundtrip(engine, amount=bad)


def test_int_is_accepted(engine: Engine) -> None:
    assert roundtrip(engine, amount=42)[0] == Decimal(42)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
)
def test_datetime_roundtrip_is_aware_utc(
    engine: Engine, moment: datetime, offset_minutes: int
) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    (_, stored) = roundtrip(engine, at=local)
    assert isinstance(stored, datetime)
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == moment


def test_naive_datetime_is_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive"):
        roundtrip(engine, at=datetime(2026, 1, 1, 12, 0))


def test_nulls(engine: Engine) -> None:
    assert roundtrip(engine, amount=None, at=None) == (None, None)
