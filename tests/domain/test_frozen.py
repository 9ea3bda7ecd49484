"""`constructor`: the fast path builds the very record the dataclass's own __init__ builds."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pm.domain.frozen import constructor
from pm.domain.ledger import Fill
from pm.domain.lots import ClosedLot, OpenLot

AT = datetime(2025, 1, 2, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (Fill, ("f1", "AAPL", "buy", Decimal("1.50"), Decimal("10"), AT, "activity", None)),
        (OpenLot, ("AAPL", "short", Decimal("2"), Decimal("3.25"), AT, "f1")),
        (
            ClosedLot,
            ("AAPL", "long", Decimal("1"), Decimal("2"), Decimal("3"), AT, AT, "f1", "f2"),
        ),
    ],
)
def test_the_record_is_the_dataclass_own(cls: type, values: tuple[object, ...]) -> None:
    made = constructor(cls)(*values)
    built = cls(*values)
    assert type(made) is cls
    assert made == built
    assert hash(made) == hash(built)
    assert repr(made) == repr(built)
    assert dataclasses.astuple(made) == values
    assert pickle.loads(pickle.dumps(made)) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.__setattr__(dataclasses.fields(cls)[0].name, "changed")
    first = dataclasses.fields(cls)[0].name
    assert dataclasses.replace(made, **{first: "other"}) == dataclasses.replace(
        built, **{first: "other"}
    )


def test_every_field_is_required() -> None:
    with pytest.raises(TypeError):
        constructor(Fill)("f1", "AAPL", "buy", Decimal(1), Decimal(1), AT, "activity")


@dataclass(frozen=True, slots=True)
class _Checked:
    qty: int

    def __post_init__(self) -> None:
        if self.qty < 0:
            raise ValueError("negative")


@dataclass(frozen=True)
class _NoSlots:
    qty: int


@dataclass(slots=True)
class _Mutable:
    qty: int


@dataclass(frozen=True, slots=True)
class _Derived:
    qty: int
    double: int = dataclasses.field(init=False, default=0)


@pytest.mark.parametrize("cls", [_Checked, _NoSlots, _Mutable, _Derived, int])
def test_refuses_classes_whose_init_does_more(cls: type) -> None:
    with pytest.raises(TypeError):
        constructor(cls)
