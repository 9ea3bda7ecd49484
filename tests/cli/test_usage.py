"""The command line's usage contract: global options anywhere, usage errors that honour
--json and say BadInput, case-insensitive choices, and no library's words in the errors."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import typer.main
from typer._click import Context

from pm.cli import argv
from pm.cli.app import app
from tests.cli.conftest import PmRunner

ROOT = typer.main.get_command(app)


@pytest.mark.parametrize(
    ("given", "hoisted"),
    [
        (["snapshot", "--demo"], ["--demo", "snapshot"]),
        (["positions", "show", "AAPL", "--demo"], ["--demo", "positions", "show", "AAPL"]),
        (["history", "--timeout", "5", "--json"], ["--timeout", "5", "history", "--json"]),
        (["history", "--timeout=5"], ["--timeout=5", "history"]),
        (["risk", "-vv", "--debug"], ["-vv", "--debug", "risk"]),
        (["--demo", "snapshot", "-v"], ["-v", "--demo", "snapshot"]),
        (["breaker", "trip", "--reason", "--demo"], ["breaker", "trip", "--reason", "--demo"]),
        (["sectors", "show", "--", "--demo"], ["sectors", "show", "--", "--demo"]),
        (["--demo", "snapshot"], ["--demo", "snapshot"]),
    ],
)
def test_global_options_are_hoisted_but_not_option_values(
    given: list[str], hoisted: list[str]
) -> None:
    assert argv.read(ROOT, given).args == hoisted


@pytest.mark.parametrize(
    ("given", "wants_json"),
    [
        (["history", "--json"], True),
        (["history", "--json", "--since"], True),
        (["breaker", "trip", "--reason", "--json"], False),  # a reason, not the option
        (["sectors", "show", "--", "--json"], False),
        (["history"], False),
    ],
)
def test_json_is_noticed_only_as_an_option(given: list[str], wants_json: bool) -> None:
    assert argv.read(ROOT, given).json is wants_json


def test_global_options_work_after_the_command(pm: PmRunner) -> None:
    snapshot = pm("snapshot", "--demo", "--json")
    assert snapshot.code == 0, snapshot.stderr
    assert snapshot.json()["source"]["type"] == "simulated"
    one = pm("positions", "show", "AAPL", "--demo", "--timeout", "5", "--json")
    assert one.code == 0, one.stderr
    assert one.json()["symbol"] == "AAPL"
    # --version is one of them (the README lists it): it was 'No such option' (exit 2)
    version = pm("reconcile", "status", "--version")
    assert version.code == 0, version.stderr
    assert version.stdout.startswith("pm ")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--demo", "snapshot", "--bogus", "--json"), "No such option: --bogus"),
        (("--demo", "history", "--json", "--since"), "Option '--since' requires an argument"),
        (("--demo", "history", "--limit", "x", "--json"), "must be a whole number, got 'x'"),
        (("--demo", "nosuch", "--json"), "No such command 'nosuch'"),
    ],
)
def test_usage_errors_end_in_the_json_error_object(
    pm: PmRunner, args: tuple[str, ...], says: str
) -> None:
    out = pm(*args)
    assert out.code == 2
    assert out.error() == {
        "error": "BadInput",
        "message": out.error()["message"],
        "status_code": 400,
        "reason": "UsageError",
    }
    assert says in out.error()["message"]


def _choice_options() -> Iterator[tuple[list[str], Any, Any, tuple[Any, ...]]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any, Any, Any]]:
        for param in command.params:
            choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
            if choices:
                yield path, command, param, tuple(choices)
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(ROOT, ["pm"])


CHOICE_OPTIONS = list(_choice_options())


def test_the_choice_options_are_found() -> None:
    found = {(" ".join(path), param.opts[0]) for path, _, param, _ in CHOICE_OPTIONS}
    assert {("pm positions", "--sort"), ("pm validate", "--side")} <= found


@pytest.mark.parametrize(
    ("path", "command", "param", "choices"),
    CHOICE_OPTIONS,
    ids=[f"{' '.join(p)} {o.opts[0]}" for p, _, o, _ in CHOICE_OPTIONS],
)
def test_every_choice_option_is_case_insensitive(
    path: list[str], command: Any, param: Any, choices: tuple[Any, ...]
) -> None:
    root_ctx = ROOT.make_context("pm", ["--demo", "snapshot"], resilient_parsing=True)
    ctx = Context(command, parent=root_ctx, info_name=path[-1])
    for choice in choices:
        value = choice.value if isinstance(choice, Enum) else choice
        assert param.process_value(ctx, str(value).upper()) == choice
        assert param.process_value(ctx, str(value).title()) == choice


def test_sort_in_capitals(pm: PmRunner) -> None:
    out = pm("--demo", "positions", "--sort", "MARKET_VALUE", "--desc", "--json")
    assert out.code == 0, out.stderr
    values = [Decimal(str(p["market_value"])) for p in out.json()]
    assert values == sorted(values, reverse=True)


def test_side_in_capitals(pm: PmRunner) -> None:
    out = pm("--demo", "validate", "AAPL", "--side", "SELL", "--qty", "1", "--json")
    assert out.code in (0, 1), out.stderr  # approved or rejected, but understood
    assert out.json()["side"] == "sell"


def test_var_method_in_capitals(pm: PmRunner) -> None:
    out = pm("--demo", "risk", "--var-method", "FLAT", "--json")
    assert out.code in (0, 1), out.stderr
    assert out.json()["var_method"] == "flat"


def test_book_side_in_capitals(pm: PmRunner) -> None:
    assert pm("--demo", "positions", "--json").code == 0
    out = pm("--demo", "book", "add", "--symbol", "ZZZ", "--qty", "2", "--entry-price", "3",
             "--side", "SHORT", "--json")  # fmt: skip
    assert out.code == 0, out.stderr
    assert (out.json()["side"], out.json()["qty"]) == ("short", -2)


def test_a_wrong_choice_is_said_in_pm_words(pm: PmRunner) -> None:
    out = pm("--demo", "positions", "--sort", "size")
    assert out.code == 2
    assert out.stderr.strip().splitlines()[-1] == (
        "error: Invalid value for '--sort': must be one of symbol, qty, market_value, "
        "cost_basis, unrealized_pl, unrealized_pl_pct, got 'size' (see 'pm positions --help')"
    )


def test_choice_settings_are_case_insensitive_too(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_BROKER", "Demo")
    monkeypatch.setenv("PM_LOG_FORMAT", "JSON")
    monkeypatch.setenv("PM_LOG_LEVEL", "Warning")
    out = pm("snapshot", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["source"]["type"] == "simulated"
