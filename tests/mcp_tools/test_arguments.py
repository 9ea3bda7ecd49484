"""Arguments the input schema refuses are tool errors with the CLI's JSON error object, as a
command refuses a bad option, never pydantic's text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mcp_tools.conftest import MakeTools, text

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("validate_order", {"symbol": "AAPL", "side": "buy", "qty": "abc"}, "`qty` must be a number"),
    ("validate_order", {"symbol": "AAPL", "side": "hold", "qty": 1}, "`side` must be 'buy' or"),
    ("validate_order", {"side": "buy", "qty": 1}, "`symbol` is required"),
    ("validate_order", {"symbol": 123, "side": "buy", "qty": 1}, "`symbol` must be text"),
    ("get_live_positions", {"sort": "bogus"}, "`sort` must be 'symbol', 'qty'"),
    ("get_performance", {"since": "2026-13-01"}, "`since` is not valid"),
    ("get_lots", {"which": "some"}, "`which` must be 'all', 'open' or 'closed'"),
]


@pytest.mark.parametrize(("name", "arguments", "message"), INVALID, ids=[i[0] for i in INVALID])
def test_arguments_the_schema_refuses_are_the_clis_error_object(
    make_tools: MakeTools, name: str, arguments: dict[str, Any], message: str
) -> None:
    error = make_tools().error(name, **arguments)
    assert (error["error"], error["status_code"]) == ("BadInput", 400)
    assert error["message"].startswith(message)
    assert "pydantic" not in error["message"]


def test_a_missing_argument_of_a_write_tool_is_the_error_object(make_tools: MakeTools) -> None:
    error = make_tools(allow_writes=True).error("trip_circuit_breaker")
    assert error == {"error": "BadInput", "message": "`reason` is required", "status_code": 400}


def test_an_unknown_tool_is_the_error_object(make_tools: MakeTools) -> None:
    result = make_tools().call("close_position", symbol="AAPL")
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["status_code"] == 400
    assert "--allow-writes" in text(result)
    nope = make_tools().error("nope")
    assert nope == {"error": "BadInput", "message": "no tool named `nope`", "status_code": 400}


def test_an_unknown_argument_is_refused_not_ignored(make_tools: MakeTools) -> None:
    tools = make_tools(allow_writes=True)
    # `quantity` for `qty`: ignored, it previewed (and confirmed) closing the whole position
    error = tools.error("close_position", symbol="AAPL", quantity=1)
    assert (error["error"], error["status_code"]) == ("BadInput", 400)
    assert error["message"] == (
        "close_position has no argument `quantity` "
        "(its arguments: symbol, qty, percentage, confirmation_token)"
    )
    assert tools.error("check_circuit_breaker", verbose=True)["error"] == "BadInput"
    assert not tools.call("check_circuit_breaker").is_error


@pytest.mark.parametrize(
    ("qty", "message"),
    [
        ("1e400", "`qty` 1E+400 is out of range (at most 15 digits before the point)"),
        (10**15, "`qty` 1000000000000000 is out of range (at most 15 digits before the point)"),
        ("0.0000000001", "`qty` 1E-10 has more than 9 decimal places"),
    ],
)
def test_numbers_out_of_the_clis_range_are_bad_input_as_there(
    make_tools: MakeTools, qty: object, message: str
) -> None:
    tools = make_tools(allow_writes=True)
    error = tools.error("validate_order", symbol="AAPL", side="buy", qty=qty)
    assert error == {"error": "BadInput", "message": message, "status_code": 400}
    assert tools.error("close_position", symbol="AAPL", qty=qty) == error
    huge = tools.error("close_position", symbol="AAPL", percentage="1e400")
    assert huge["message"].startswith("`percentage` 1E+400 is out of range")
