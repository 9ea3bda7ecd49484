"""The macro cache in `macro_observations`; implements `pm.ports.MacroCache`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from pm.db.tables import macro_observations as macro
from pm.db.transactions import Transactions, upsert_insert
from pm.domain.regime import Observation
from pm.ports import CachedObservation


class SqlMacroCache(Transactions):
    """One row per (source, series, date); a refetch refreshes the value and the fetch time."""

    def save(self, source: str, observations: Sequence[Observation], fetched_at: datetime) -> None:
        if not observations:
            return
        rows = [
            {
                "source": source,
                "series_id": o.series_id,
                "obs_date": o.date,
                "value": o.value,
                "fetched_at": fetched_at,
            }
            for o in observations
        ]
        with self.write() as conn:
            stmt = upsert_insert(conn)(macro)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["source", "series_id", "obs_date"],
                    set_={"value": stmt.excluded.value, "fetched_at": stmt.excluded.fetched_at},
                ),
                rows,
            )

    def latest(self, source: str, series_ids: Sequence[str]) -> dict[str, CachedObservation]:
        newest = (
            select(macro.c.series_id, func.max(macro.c.obs_date).label("obs_date"))
            .where(macro.c.source == source, macro.c.series_id.in_(list(series_ids)))
            .group_by(macro.c.series_id)
            .subquery()
        )
        query = select(macro).join(
            newest,
            (macro.c.series_id == newest.c.series_id) & (macro.c.obs_date == newest.c.obs_date),
        )
        with self.read() as conn:
            rows = conn.execute(query.where(macro.c.source == source)).all()
        return {
            row.series_id: CachedObservation(
                Observation(row.series_id, row.obs_date, row.value), row.fetched_at
            )
            for row in rows
        }


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pm.ports import MacroCache

    def _implements_the_port(engine: Engine) -> MacroCache:
        return SqlMacroCache(engine)
