"""How `pm watch` reports: one JSON object per line on stdout (--json), or a status line on
stderr."""

from __future__ import annotations

import threading

from pm.cli.terminal import Terminal
from pm.cli.views.common import when
from pm.cli.views.reconcile import summary
from pm.domain.reconcile import RunRecord
from pm.records import watch as records
from pm.services.exits import ExitReport
from pm.services.regime import RegimeReport
from pm.services.watch import WatchEvent

#: Events that stay on screen; the others rewrite the status line in place.
_KEPT = ("outage", "recovered", "started", "stopped")


class WatchView:
    """Thread-safe: events may come from the loop and from a signal handler's timer."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self._lock = threading.Lock()

    def __call__(self, event: WatchEvent) -> None:
        with self._lock:
            if self.terminal.machine:
                self.terminal.record(records.event(event))
                return
            line = self._line(event)
            if line is not None:
                alert = isinstance(event.data.get("detail"), ExitReport) and bool(
                    event.data["detail"].fires
                )
                self.terminal.status(line, keep=event.event in _KEPT or alert)

    @staticmethod
    def _line(event: WatchEvent) -> str | None:
        at = when(event.at)
        d = event.data
        if event.event == "started":
            names = ", ".join(f"{j['name']} every {j['interval_s']} s" for j in d["jobs"])
            return f"{at} watch started: {names}"
        if event.event == "job":
            detail = d.get("detail")
            text = summary(detail) if isinstance(detail, RunRecord) else d["status"]
            if isinstance(detail, RegimeReport):
                stop = (
                    f", EMERGENCY STOP: {detail.emergency_reason}" if detail.emergency_stop else ""
                )
                text = f"{detail.call.regime} (x{detail.call.multiplier}){stop}"
            if isinstance(detail, ExitReport):
                text = _exits(detail)
            return f"{at} cycle {d['cycle']}: {d['job']} {text}"
        if event.event == "outage":
            retry = d.get("retry_in_s")
            again = f"; retrying in {retry:.1f} s" if isinstance(retry, float) else ""
            return f"{at} OUTAGE: {d['message']}{again}"
        if event.event == "recovered":
            return f"{at} recovered after {d['down_for_s']:.1f} s"
        if event.event == "stopped":
            return f"{at} watch stopped ({d['reason']}) after {d['cycles']} cycles"
        return None


def _exits(report: ExitReport) -> str:
    fires = report.fires
    if not fires:
        return f"{len(report.positions)} positions, nothing to fire"
    what = ", ".join(f"{p.symbol} {f.name} {f.qty}" for p, f in fires)
    if report.executed:
        return f"SENT {what}"
    return f"ALERT would fire {what} (PM_EXITS_AUTO_EXECUTE=true sends them)"
