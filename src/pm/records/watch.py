"""`pm watch --json` events, one per line."""

from __future__ import annotations

from typing import Any

from pm.domain.reconcile import RunRecord
from pm.records.exits import fires as exit_fires
from pm.records.reconcile import run
from pm.records.regime import report as regime_report
from pm.services.exits import ExitReport
from pm.services.regime import RegimeReport
from pm.services.watch import WatchEvent


def event(e: WatchEvent) -> dict[str, Any]:
    """{"event": ..., "at": ..., **fields}; a job's RunRecord as "run"."""
    data = dict(e.data)
    detail = data.pop("detail", None)
    if isinstance(detail, RunRecord):
        data["run"] = run(detail)
    elif isinstance(detail, RegimeReport):
        data["regime"] = regime_report(detail)
    elif isinstance(detail, ExitReport):
        data["exits"] = {
            "executed": detail.executed,
            "positions": len(detail.positions),
            "fires": exit_fires(detail),
        }
    elif detail is not None:
        data["detail"] = detail
    return {"event": e.event, "at": e.at, **data}
