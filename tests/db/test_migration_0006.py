"""Revision 0006 gives allocation_policies and rebalance_runs the seed's columns, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from pm.db.engine import make_engine, upgrade
from pm.db.migrate import alembic_config
from pm.db.revision import HEAD_REVISION

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)

SEED_POLICY_COLUMNS = {
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
    "created_by",
    "created_at",
    "updated_at",
}
SEED_RUN_COLUMNS = {
    "id",
    "policy_id",
    "trace_id",
    "status",
    "trigger_type",
    "input_snapshot",
    "order_intents",
    "executed_orders",
    "rationale",
    "started_at",
    "completed_at",
}


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {c["name"] for c in inspect(conn).get_columns(table)}
    finally:
        engine.dispose()


def _insert_policy(conn: object, name: str, active: bool) -> None:
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO allocation_policies (account_id, name, is_active, created_at, updated_at)"
            " VALUES ('acct-1', :name, :active, :t, :t)"
        ),
        {"name": name, "active": active, "t": T0},
    )


def test_upgrade_gives_the_seed_columns_and_defaults(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), "0005")
        assert "targets" in _columns(db_url, "allocation_policies")
        assert upgrade(db_url).before == "0005"
        assert _columns(db_url, "allocation_policies") == SEED_POLICY_COLUMNS | {
            "account_id",
            "cash_weight_pct",
        }
        assert _columns(db_url, "rebalance_runs") == SEED_RUN_COLUMNS | {"account_id"}
        assert _columns(db_url, "allocation_targets") == {"policy_id", "symbol", "weight_pct"}
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (account_id, broker_identity, created_at, last_seen_at)"
                    " VALUES ('acct-1', 'key', :t, :t)"
                ),
                {"t": T0},
            )
            _insert_policy(conn, "core", True)
            _insert_policy(conn, "spare", False)
            row = conn.execute(
                text(
                    "SELECT max_position_weight_pct, max_sector_weight_pct, min_liquidity_tier,"
                    " profit_taking_threshold_pct, overweight_threshold_pct, rotation_top_n,"
                    " rebalance_frequency FROM allocation_policies WHERE name = 'core'"
                )
            ).one()
        assert [str(v) for v in row] == ["8", "25", "B", "20", "50", "10", "daily"]
        # A second active policy of the same account is refused by the partial index.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            _insert_policy(conn, "other", True)
        # A frequency outside daily/weekly/monthly is refused.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE allocation_policies SET rebalance_frequency = 'hourly'"))
    finally:
        engine.dispose()


def test_downgrade_restores_the_placeholders(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), "0005")
        assert _columns(db_url, "allocation_policies") == {
            "id",
            "account_id",
            "name",
            "targets",
            "drift_threshold_pct",
            "active",
            "created_at",
            "updated_at",
        }
        with engine.connect() as conn:
            assert "allocation_targets" not in inspect(conn).get_table_names()
        assert "details" in _columns(db_url, "rebalance_runs")
        assert upgrade(db_url).after == HEAD_REVISION
    finally:
        engine.dispose()
