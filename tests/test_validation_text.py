"""Pydantic's validation errors in pm's words: no "Input should ..." or "Value error, ..."."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from pm.validation_text import phrase


def first_error(annotation: Any, value: object) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(annotation).validate_python(value)
    return dict(caught.value.errors()[0])


@pytest.mark.parametrize(
    ("annotation", "value", "said"),
    [
        (int, "x", "must be a whole number, got 'x'"),
        (float, "soon", "must be a number, got 'soon'"),
        (bool, "maybe", "must be true or false, got 'maybe'"),
        (Annotated[int, Field(ge=1)], 0, "must be at least 1, got 0"),
        (Annotated[int, Field(gt=0)], -1, "must be greater than 0, got -1"),
        (Annotated[float, Field(le=600)], "900", "must be at most 600, got '900'"),
        (Annotated[int, Field(lt=5)], 7, "must be less than 5, got 7"),
        (Literal["a", "b"], "c", "must be 'a' or 'b', got 'c'"),
        (int, "x" * 100, f"must be a whole number, got '{'x' * 39}…'"),
    ],
)
def test_phrases(annotation: Any, value: object, said: str) -> None:
    assert phrase(first_error(annotation, value)) == said


def test_choices_name_the_allowed_values() -> None:
    error = first_error(Literal["symbol", "qty"], "size")
    assert phrase(error, choices=["symbol", "qty"]) == "must be one of symbol, qty, got 'size'"


def test_a_secret_value_is_not_repeated() -> None:
    error = first_error(Annotated[str, Field(min_length=50)], "sk-live-0123456789")
    assert "sk-live" not in phrase(error, secret=True)
    assert phrase(error, secret=True) == "is not valid"


def test_our_own_validators_speak_for_themselves() -> None:
    def check(value: str) -> str:
        raise ValueError("must not end in /v2")

    error = first_error(Annotated[str, AfterValidator(check)], "https://x/v2")
    assert phrase(error) == "must not end in /v2"
