"""Allocation policies (`pm policy`): their records, and the target files `--targets` reads.

A targets file is either CSV with ``symbol,weight_pct`` columns, or the JSON that
``pm policy show --json`` prints (its ``targets`` and ``cash_weight_pct``), so a policy can be
copied, edited with jq and fed back.
"""

from __future__ import annotations

from typing import Any

from pm.domain.errors import BadInput
from pm.domain.policy import Policy

COLUMNS = (
    "account_id",
    "id",
    "name",
    "description",
    "is_active",
    "max_position_weight_pct",
    "max_sector_weight_pct",
    "min_liquidity_tier",
    "profit_taking_threshold_pct",
    "overweight_threshold_pct",
    "rotation_top_n",
    "rebalance_frequency",
    "cash_weight_pct",
    "targets_count",
    "created_by",
    "created_at",
    "updated_at",
)


def summary(p: Policy) -> dict[str, Any]:
    """One row of `pm policy list` (flat, for CSV too)."""
    s = p.spec
    return {
        "account_id": p.account_id,
        "id": p.id,
        "name": s.name,
        "description": s.description,
        "is_active": p.is_active,
        "max_position_weight_pct": s.max_position_weight_pct,
        "max_sector_weight_pct": s.max_sector_weight_pct,
        "min_liquidity_tier": s.min_liquidity_tier,
        "profit_taking_threshold_pct": s.profit_taking_threshold_pct,
        "overweight_threshold_pct": s.overweight_threshold_pct,
        "rotation_top_n": s.rotation_top_n,
        "rebalance_frequency": s.rebalance_frequency,
        "cash_weight_pct": s.cash_weight_pct,
        "targets_count": len(s.targets),
        "created_by": p.created_by,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def policy(p: Policy) -> dict[str, Any]:
    """A whole policy (`pm policy show --json`), targets included."""
    data = summary(p)
    del data["targets_count"]
    data["targets"] = [{"symbol": t.symbol, "weight_pct": t.weight_pct} for t in p.spec.targets]
    return data


def targets_from_text(text: str, where: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """(symbol, weight) pairs as text and the cash weight (None if the file has none) from a
    CSV ``symbol,weight_pct`` file or a ``pm policy show --json`` document."""
    body = text.lstrip("\ufeff").strip()
    if body.startswith(("{", "[")):
        return _from_json(body, where)
    return _from_csv(body, where), None


def _from_json(body: str, where: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    import json
    from decimal import Decimal

    try:
        doc = json.loads(body, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    items = doc.get("targets") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise BadInput(f"{where}: expected a 'targets' list of {{symbol, weight_pct}}")
    pairs: list[tuple[str, str]] = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or "symbol" not in item or "weight_pct" not in item:
            raise BadInput(f"{where}: target {n} needs symbol and weight_pct")
        pairs.append((str(item["symbol"]), str(item["weight_pct"])))
    cash = doc.get("cash_weight_pct") if isinstance(doc, dict) else None
    return tuple(pairs), None if cash is None else str(cash)


def _from_csv(body: str, where: str) -> tuple[tuple[str, str], ...]:
    import csv
    import io

    reader = csv.DictReader(io.StringIO(body))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "symbol" not in header or "weight_pct" not in header:
        raise BadInput(f"{where}: a CSV needs symbol and weight_pct columns")
    pairs: list[tuple[str, str]] = []
    for row in reader:
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(clean.values()):
            continue
        pairs.append((clean["symbol"], clean["weight_pct"]))
    return tuple(pairs)
