"""Allocation policies: what a policy is, and the checks a new or edited one must pass.

A policy holds limits (the seed's columns) and optionally target weights per symbol plus a cash
weight, all in percent of equity. Validation collects every problem and reports them at once
(`PolicyInvalid`, exit 2) so a person fixes a policy in one go; nothing is written until a
policy passes. Field names in messages are backticked (the CLI says them as flags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pm.domain.book import SYMBOL_PATTERN
from pm.domain.errors import BadInput
from pm.domain.money import parse_input
from pm.domain.portfolio import holding_key

Frequency = Literal["daily", "weekly", "monthly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly", "monthly")
HUNDRED = Decimal(100)

#: The seed's defaults.
DEFAULT_MAX_POSITION_PCT = Decimal(8)
DEFAULT_MAX_SECTOR_PCT = Decimal(25)
DEFAULT_MIN_LIQUIDITY_TIER = "B"
DEFAULT_PROFIT_TAKING_PCT = Decimal(20)
DEFAULT_OVERWEIGHT_PCT = Decimal(50)
DEFAULT_ROTATION_TOP_N = 10

#: The ranges a policy's limits must lie in (inclusive).
MAX_POSITION_RANGE = (Decimal(1), Decimal(20))
MAX_SECTOR_RANGE = (Decimal(5), Decimal(100))
THRESHOLD_RANGE = (Decimal(0), Decimal(1000))  # profit taking, overweight: > 0 and at most this
ROTATION_RANGE = (1, 500)
MAX_NAME = 100
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")


class PolicyInvalid(BadInput):
    """A policy failed validation; `problems` lists every reason (the message joins them)."""

    kind = "PolicyInvalid"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid policy: " + "; ".join(problems))
        self.problems = problems

    def details(self) -> dict[str, object]:
        # said as the message says them (the command line turns `field` into --field)
        return {"problems": self.message.removeprefix("invalid policy: ").split("; ")}


@dataclass(frozen=True, slots=True)
class Target:
    """A symbol's target weight, in percent of equity."""

    symbol: str
    weight_pct: Decimal


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A policy's content: what a person sets (validated by `check_spec`)."""

    name: str
    description: str | None = None
    max_position_weight_pct: Decimal = DEFAULT_MAX_POSITION_PCT
    max_sector_weight_pct: Decimal = DEFAULT_MAX_SECTOR_PCT
    min_liquidity_tier: str = DEFAULT_MIN_LIQUIDITY_TIER
    profit_taking_threshold_pct: Decimal = DEFAULT_PROFIT_TAKING_PCT
    overweight_threshold_pct: Decimal = DEFAULT_OVERWEIGHT_PCT
    rotation_top_n: int = DEFAULT_ROTATION_TOP_N
    rebalance_frequency: Frequency = "daily"
    cash_weight_pct: Decimal | None = None
    targets: tuple[Target, ...] = ()

    @property
    def has_targets(self) -> bool:
        return bool(self.targets)


@dataclass(frozen=True, slots=True)
class Policy:
    """A stored policy of one account."""

    id: int
    account_id: str
    spec: PolicySpec
    is_active: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class PolicyInput:
    """What a person typed, as text; None means "not given" (keep the current value on edit).

    ``targets`` are (symbol, weight) pairs as typed; given, they replace all targets.
    """

    description: str | None = None
    max_position_pct: str | None = None
    max_sector_pct: str | None = None
    profit_taking_pct: str | None = None
    overweight_pct: str | None = None
    rotation_top_n: str | None = None
    frequency: str | None = None
    cash_pct: str | None = None
    targets: tuple[tuple[str, str], ...] | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__slots__)


def parse_target_arg(text: str) -> tuple[str, str]:
    """``SYM=PCT`` as typed after ``--target``."""
    symbol, sep, weight = text.partition("=")
    if not sep:
        raise BadInput(f"`target` {text[:40]!r} must be SYMBOL=PCT (for example AAPL=10)")
    return symbol, weight


def build_spec(given: PolicyInput, base: PolicySpec) -> PolicySpec:
    """`base` with what was given applied; every problem is reported at once."""
    problems: list[str] = []

    def number(text: str | None, field: str, current: Decimal) -> Decimal:
        if text is None:
            return current
        try:
            return parse_input(text, f"`{field}`")
        except ValueError as exc:
            problems.append(str(exc))
            return current

    spec = base
    if given.description is not None:
        spec = replace(spec, description=" ".join(given.description.split()) or None)
    spec = replace(
        spec,
        max_position_weight_pct=number(
            given.max_position_pct, "max_position_pct", spec.max_position_weight_pct
        ),
        max_sector_weight_pct=number(
            given.max_sector_pct, "max_sector_pct", spec.max_sector_weight_pct
        ),
        profit_taking_threshold_pct=number(
            given.profit_taking_pct, "profit_taking_pct", spec.profit_taking_threshold_pct
        ),
        overweight_threshold_pct=number(
            given.overweight_pct, "overweight_pct", spec.overweight_threshold_pct
        ),
    )
    if given.rotation_top_n is not None:
        text = given.rotation_top_n.strip()
        if text.isdigit():
            spec = replace(spec, rotation_top_n=int(text))
        else:
            problems.append(f"`rotation_top_n` {text[:20]!r} must be a whole number")
    if given.frequency is not None:
        freq = given.frequency.strip().lower()
        if freq in FREQUENCIES:
            spec = replace(spec, rebalance_frequency=freq)
        else:
            problems.append(
                f"`frequency` {given.frequency[:20]!r} must be one of daily, weekly, monthly"
            )
    if given.cash_pct is not None:
        try:
            spec = replace(spec, cash_weight_pct=parse_input(given.cash_pct, "`cash_pct`"))
        except ValueError as exc:
            problems.append(str(exc))
    if given.targets is not None:
        spec = replace(spec, targets=_targets(given.targets, problems))
    problems.extend(check_spec(spec))
    if problems:
        raise PolicyInvalid(_unique(problems))
    return spec


def _targets(pairs: tuple[tuple[str, str], ...], problems: list[str]) -> tuple[Target, ...]:
    out: list[Target] = []
    seen: set[str] = set()
    for symbol_text, weight_text in pairs:
        raw = symbol_text.strip().upper()
        if not SYMBOL_PATTERN.match(raw):
            problems.append(f"`target` {symbol_text[:40]!r} is not a symbol")
            continue
        symbol = holding_key(raw)
        if symbol in seen:
            problems.append(f"`target` {symbol} is given twice")
            continue
        seen.add(symbol)
        try:
            weight = parse_input(weight_text, f"`target` {symbol}")
        except ValueError as exc:
            problems.append(str(exc))
            continue
        out.append(Target(symbol, weight))
    return tuple(out)


def check_spec(spec: PolicySpec) -> list[str]:
    """Every reason `spec` is not a valid policy (empty when it is)."""
    problems: list[str] = []
    name = spec.name
    if not name or len(name) > MAX_NAME or not _NAME.match(name):
        problems.append(
            f"`name` {name[:40]!r} must be 1 to {MAX_NAME} letters, digits, spaces, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    lo, hi = MAX_POSITION_RANGE
    if not lo <= spec.max_position_weight_pct <= hi:
        problems.append(f"`max_position_pct` must be between {lo} and {hi}")
    lo, hi = MAX_SECTOR_RANGE
    if not lo <= spec.max_sector_weight_pct <= hi:
        problems.append(f"`max_sector_pct` must be between {lo} and {hi}")
    lo, hi = THRESHOLD_RANGE
    if not lo < spec.profit_taking_threshold_pct <= hi:
        problems.append(f"`profit_taking_pct` must be > {lo} and at most {hi}")
    if not lo < spec.overweight_threshold_pct <= hi:
        problems.append(f"`overweight_pct` must be > {lo} and at most {hi}")
    rlo, rhi = ROTATION_RANGE
    if not rlo <= spec.rotation_top_n <= rhi:
        problems.append(f"`rotation_top_n` must be between {rlo} and {rhi}")
    if spec.rebalance_frequency not in FREQUENCIES:
        problems.append("`frequency` must be one of daily, weekly, monthly")
    problems.extend(_check_weights(spec))
    return problems


def _check_weights(spec: PolicySpec) -> list[str]:
    """The targets and the cash weight: each > 0 and capped, summing to exactly 100."""
    problems: list[str] = []
    cash = spec.cash_weight_pct
    if cash is not None and not Decimal(0) <= cash <= HUNDRED:
        problems.append("`cash_pct` must be between 0 and 100")
    if spec.targets:
        for t in spec.targets:
            if t.weight_pct <= 0:
                problems.append(f"`target` {t.symbol} must have a weight > 0")
            elif t.weight_pct > spec.max_position_weight_pct:
                problems.append(
                    f"`target` {t.symbol} is {t.weight_pct} %, above the policy's maximum "
                    f"position weight of {spec.max_position_weight_pct} %"
                )
        total = sum((t.weight_pct for t in spec.targets), Decimal(0)) + (cash or Decimal(0))
        if total != HUNDRED:
            problems.append(
                f"the targets and `cash_pct` sum to {total} %, not 100 % "
                f"(targets {total - (cash or Decimal(0))} %, cash {cash or 0} %)"
            )
    elif cash is not None and cash != 0:
        problems.append("`cash_pct` needs targets (without targets the rest is cash anyway)")
    return problems


def _unique(problems: list[str]) -> list[str]:
    return list(dict.fromkeys(problems))
