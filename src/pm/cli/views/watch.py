"""How `pm watch` reports: NDJSON events on stdout (--json), or a status line on stderr."""

from __future__ import annotations

import sys
import threading
from typing import Any

from pm.cli.output import json_text
from pm.cli.views.reconcile import run_json, summary
from pm.domain.reconcile import RunRecord
from pm.domain.timestamps import iso
from pm.services.watch import WatchEvent


def event_json(event: WatchEvent) -> dict[str, Any]:
    """One NDJSON line: {"event": ..., "at": ..., **fields}; a job's RunRecord as "run"."""
    data = dict(event.data)
    detail = data.pop("detail", None)
    if isinstance(detail, RunRecord):
        data["run"] = run_json(detail)
    elif detail is not None:
        data["detail"] = detail
    return {"event": event.event, "at": event.at, **data}


class WatchView:
    """Thread-safe: events may come from the loop and from a signal handler's timer."""

    def __init__(self, json_: bool) -> None:
        self.json = json_
        self.tty = sys.stderr.isatty()
        self._lock = threading.Lock()

    def __call__(self, event: WatchEvent) -> None:
        with self._lock:
            if self.json:
                sys.stdout.write(json_text(event_json(event)) + "\n")
                sys.stdout.flush()
                return
            line = self._line(event)
            if line is None:
                return
            if self.tty:
                # one status line, rewritten in place; notable events stay on screen
                keep = event.event in ("outage", "recovered", "started", "stopped")
                end = "\n" if keep else ""
                sys.stderr.write("\r\x1b[2K" + line + end)
            else:
                sys.stderr.write(line + "\n")
            sys.stderr.flush()

    @staticmethod
    def _line(event: WatchEvent) -> str | None:
        at = iso(event.at)
        d = event.data
        if event.event == "started":
            names = ", ".join(f"{j['name']} every {j['interval_s']} s" for j in d["jobs"])
            return f"{at} watch started: {names}"
        if event.event == "job":
            detail = d.get("detail")
            text = summary(detail) if isinstance(detail, RunRecord) else d["status"]
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
