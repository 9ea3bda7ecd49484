"""Rebalance plans (`pm rebalance plan --json`): a self-contained document a pipeline can
edit and hand back to `pm rebalance run --plan -`.

``plan_id`` is a hash of the rest of the document, so any edit (a jq filter dropping an
intent) gives another id. Estimated values are to the cent; quantities and prices exact.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pm.domain.errors import BadInput
from pm.domain.portfolio import holding_key
from pm.domain.rebalance import (
    Intent,
    PlanDocument,
    PlannedOrder,
    PlanPosition,
    document_problems,
)
from pm.domain.timestamps import iso
from pm.records import tax as tax_records
from pm.records.common import cents, pct, source
from pm.records.policy import policy as policy_record
from pm.services.rebalance import CheckedPlan, RebalancePlan

INTENT_COLUMNS = (
    "seq",
    "symbol",
    "side",
    "qty",
    "order_type",
    "time_in_force",
    "est_price",
    "est_value",
    "reason",
    "target_pct",
    "current_pct",
)


def intent(i: Intent) -> dict[str, Any]:
    return {
        "seq": i.seq,
        "symbol": i.symbol,
        "side": i.side,
        "qty": i.qty.normalize() if i.qty == i.qty.to_integral_value() else i.qty,
        "order_type": i.order_type,
        "time_in_force": i.time_in_force,
        "est_price": i.est_price,
        "est_value": cents(i.est_value),
        "reason": i.reason,
        "target_pct": pct(i.target_pct),
        "current_pct": pct(i.current_pct),
    }


def plan(p: RebalancePlan) -> dict[str, Any]:
    result = p.plan
    body: dict[str, Any] = {
        "account_id": p.account.account_id,
        "policy": policy_record(p.policy),
        "trigger": p.trigger,
        "based_on": {
            "account_id": p.account.account_id,
            "equity": p.account.equity,
            "cash": p.account.cash,
            "buying_power": p.account.buying_power,
            "positions": [
                {"symbol": pos.symbol, "qty": pos.qty, "price": pos.current_price}
                for pos in sorted(p.positions, key=lambda pos: pos.symbol)
            ],
            "fetched_at": p.fetched_at,
        },
        "intents": [
            intent(i) if p.tax is None else {**intent(i), **tax_records.intent_fields(p.tax, i.seq)}
            for i in result.intents
        ],
        "totals": {
            "sells": len(result.sells),
            "buys": len(result.buys),
            "sell_value": cents(sum((i.est_value for i in result.sells), Decimal(0))),
            "buy_value": cents(sum((i.est_value for i in result.buys), Decimal(0))),
            "turnover": cents(result.turnover),
            "cash_before": result.cash_before,
            "cash_after": cents(result.cash_after),
            "cash_buffer": result.cash_buffer,
            "min_trade": result.min_trade,
            "drift_before_pct": pct(result.drift_before_pct),
            "drift_after_pct": pct(result.drift_after_pct),
        },
        "warnings": list(p.warnings),
        "source": source(p.source),
    }
    if p.tax is not None:  # `--tax-aware`
        body["tax"] = tax_records.plan_fields(p.tax)
    return {"plan_id": plan_id(body), **body}


def plan_id(body: dict[str, Any]) -> str:
    """A hash of a plan document's content (everything but `plan_id` itself)."""
    content = _canonical({k: v for k, v in body.items() if k != "plan_id"})
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(value: Any) -> Any:
    """Numbers as their normalized decimal text, whether they came as int, Decimal or float."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return _plain(Decimal(value))
    return _plain(value)


def _plain(value: object) -> str:
    """How a value enters the hash: as its JSON text would read back (so a plan read from a
    file hashes the same as when it was made)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


class PlanInvalid(BadInput):
    """A plan document that cannot be read (exit 2); `problems` lists every reason."""

    kind = "PlanInvalid"

    def __init__(self, where: str, problems: list[str]) -> None:
        super().__init__(f"invalid plan ({where}): " + "; ".join(problems))
        self.problems = problems

    def details(self) -> dict[str, Any]:
        return {"problems": self.problems}


def read_plan(text: str, where: str) -> PlanDocument:
    """A plan as `pm rebalance plan --json` writes it (perhaps edited), checked for shape and
    for the rules of `pm.domain.rebalance.document_problems`; `PlanInvalid` says all that is
    wrong at once."""
    if not text.strip():  # in a pipeline: the command before the pipe printed nothing
        raise PlanInvalid(where, ["empty: no plan to check (did the command that wrote it fail?)"])
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise PlanInvalid(where, [f"not JSON ({exc.msg} at line {exc.lineno})"]) from None
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise PlanInvalid(where, ["expected the object `pm rebalance plan --json` prints"])
    based = doc.get("based_on")
    if not isinstance(based, dict):
        problems.append("based_on is missing")
        based = {}
    positions = []
    for n, item in enumerate(_list(based.get("positions"), "based_on.positions", problems), 1):
        symbol = _symbol(item, f"based_on.positions[{n}]", problems)
        qty = _number(item, "qty", f"based_on.positions[{n}]", problems)
        price = _number(item, "price", f"based_on.positions[{n}]", problems)
        if symbol and qty is not None and price is not None:
            positions.append(PlanPosition(symbol, qty, price))
    intents = []
    for n, item in enumerate(_list(doc.get("intents"), "intents", problems), 1):
        where_ = f"intents[{n}]"
        seq = item.get("seq", n) if isinstance(item, dict) else n
        if not isinstance(seq, int | Decimal) or int(seq) != seq:
            problems.append(f"{where_}.seq must be a whole number")
            seq = n
        symbol = _symbol(item, where_, problems)
        side = str(item.get("side", "")).lower() if isinstance(item, dict) else ""
        qty = _number(item, "qty", where_, problems, optional=True)
        notional = _number(item, "notional", where_, problems, optional=True)
        limit = _number(item, "limit_price", where_, problems, optional=True)
        if symbol:
            intents.append(
                PlannedOrder(
                    seq=int(seq),
                    symbol=symbol,
                    side=side,  # type: ignore[arg-type]  # checked by document_problems
                    qty=qty,
                    notional=notional,
                    order_type=str(item.get("order_type", "market")).lower(),
                    time_in_force=str(item.get("time_in_force", "day")).lower(),
                    limit_price=limit,
                    reason=str(item.get("reason", "underweight_add")),
                    target_pct=_number(item, "target_pct", where_, problems, optional=True),
                    current_pct=_number(item, "current_pct", where_, problems, optional=True),
                )
            )
    equity = _number(based, "equity", "based_on", problems)
    cash = _number(based, "cash", "based_on", problems)
    account_id = based.get("account_id") or doc.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        problems.append("based_on.account_id is missing")
        account_id = ""
    policy = doc.get("policy")
    policy_name = policy.get("name") if isinstance(policy, dict) else None
    stated = str(doc["plan_id"]) if doc.get("plan_id") is not None else None
    plan = PlanDocument(
        plan_id=stated,
        edited=stated != plan_id(doc),
        account_id=account_id,
        policy_name=str(policy_name) if policy_name is not None else None,
        trigger=str(doc.get("trigger", "manual")),
        equity=equity if equity is not None else Decimal(0),
        cash=cash if cash is not None else Decimal(0),
        positions=tuple(positions),
        intents=tuple(intents),
    )
    if not problems:
        problems = document_problems(plan)
    if problems:
        raise PlanInvalid(where, problems)
    return plan


def _list(value: object, where: str, problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(f"{where} must be a list of objects")
        return []
    return value


def _symbol(item: dict[str, Any], where: str, problems: list[str]) -> str | None:
    value = item.get("symbol")
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}.symbol is missing")
        return None
    return holding_key(value)


def _number(
    item: dict[str, Any], key: str, where: str, problems: list[str], *, optional: bool = False
) -> Decimal | None:
    value = item.get(key)
    if value is None:
        if not optional:
            problems.append(f"{where}.{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        problems.append(f"{where}.{key} must be a number")
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        problems.append(f"{where}.{key} must be a number")
        return None
    if not number.is_finite():
        problems.append(f"{where}.{key} must be a finite number")
        return None
    return number


def checked(c: CheckedPlan) -> dict[str, Any]:
    """A plan read back and checked against the live account (`pm rebalance run --plan`)."""
    doc = c.document
    orders = {o.seq: o for o in doc.intents}
    intents = []
    for i in c.intents:
        o = orders[i.seq]
        record = intent(i)
        if o.notional is not None:
            del record["qty"]
            record = {**record, "notional": o.notional}
        record["order_type"] = o.order_type
        record["time_in_force"] = o.time_in_force
        if o.limit_price is not None:
            record["limit_price"] = o.limit_price
        intents.append(record)
    sold = sum((i.est_value for i in c.sells), Decimal(0))
    bought = sum((i.est_value for i in c.buys), Decimal(0))
    return {
        "plan_id": doc.plan_id,
        "account_id": c.account.account_id,
        "policy": doc.policy_name,
        "trigger": doc.trigger,
        "status": "checked",
        "dry_run": True,
        "intents": intents,
        "totals": {
            "sells": len(c.sells),
            "buys": len(c.buys),
            "sell_value": cents(sold),
            "buy_value": cents(bought),
            "turnover": cents(sold + bought),
            "cash_before": c.account.cash,
            "cash_after": cents(c.account.cash + sold - bought),
            "cash_buffer": c.cash_buffer,
        },
        "warnings": list(c.warnings),
        "source": source(c.source),
    }
