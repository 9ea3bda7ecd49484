"""Runs one tool against the account, as a command runs at a terminal: the same object graph
(`AppContext`), one call at a time, deferred writes finished before the answer, the warnings
a command would say on stderr kept for the answer, and every error turned into the CLI's JSON
error object (secrets scrubbed)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from pm.cli.context import AppContext
from pm.cli.errors import error_object
from pm.domain.errors import BadInput
from pm.mcp.confirm import Confirmations

log = logging.getLogger("pm.mcp")


class LiveRefused(BadInput):
    """A write tool on Alpaca's live endpoint without every permission it needs."""

    kind = "LiveRefused"


class Answer(NamedTuple):
    """A tool call's outcome: its data, or (not ok) the JSON error object; and the warnings
    said through the app's Terminal while it ran (a ledger not synced, stale data, a VaR
    fallback), secrets scrubbed, for the answer (none on an error: see `Front.run`)."""

    ok: bool
    data: Any
    warnings: tuple[str, ...] = ()


class Front:
    """What the tools share: the account's object graph, the write permission and tokens."""

    def __init__(
        self,
        app: AppContext,
        *,
        allow_writes: bool,
        confirmations: Confirmations | None = None,
    ) -> None:
        self.app = app
        self.allow_writes = allow_writes
        self.confirmations = confirmations or Confirmations(app.clock)
        self._lock = threading.Lock()  # one tool at a time, like one command at a terminal

    def run(self, fn: Callable[..., Any], arguments: dict[str, Any]) -> Answer:
        """The tool's data with the warnings it said, or the JSON error object.

        At a terminal a command's warnings go to stderr; on the stdio transport that is only
        the server's log, which no assistant reads, so while a tool runs the Terminal keeps
        them and they come back with its answer (and are logged at INFO). A failed call's
        answer is the error object alone, as ever: its warnings are logged at WARNING."""
        tool = fn.__name__
        with self._lock, self.app.terminal.collecting() as said:
            try:
                data = fn(self, **arguments)
                self.app.writes.run()  # the book's sync writes, before the answer
            except Exception as error:
                self.app.writes.pending.clear()  # a failed command writes nothing after it
                for message in self._scrubbed(said):
                    log.warning("tool %s warned before failing: %s", tool, message)
                return Answer(False, self.failed(tool, error))
        warnings = self._scrubbed(said)
        for message in warnings:
            log.info("tool %s warned: %s", tool, message)
        return Answer(True, data, warnings)

    def _scrubbed(self, messages: list[str]) -> tuple[str, ...]:
        return tuple(self.app.scrub(m) for m in messages)

    def failed(self, tool: str, error: BaseException) -> dict[str, Any]:
        """The JSON error object of a failed call (secrets scrubbed), logged to stderr."""
        payload = error_object(error, scrub=self.app.scrub)
        level = logging.ERROR if payload["status_code"] == 500 else logging.INFO
        log.log(level, "tool %s failed: %s", tool, payload["message"])
        return payload

    def require_writes_allowed(self, what: str) -> None:
        """On Alpaca's live endpoint a write tool needs PM_ALLOW_LIVE=true, PM_MCP_ALLOW_LIVE=
        true, and the account in PM_MCP_ACCOUNTS; paper and the demo need only --allow-writes."""
        settings = self.app.settings
        if settings.pm_broker == "demo" or not settings.is_live:
            return
        missing = [
            name
            for name, given in (
                ("PM_ALLOW_LIVE", settings.pm_allow_live),
                ("PM_MCP_ALLOW_LIVE", settings.pm_mcp_allow_live),
            )
            if not given
        ]
        if missing:
            raise LiveRefused(
                f"{what}: ALPACA_BASE_URL is Alpaca's live endpoint (real money); an assistant "
                f"may write there only with PM_ALLOW_LIVE=true and PM_MCP_ALLOW_LIVE=true "
                f"(missing: {', '.join(missing)}). Nothing was sent."
            )
        accounts = {a.strip() for a in settings.pm_mcp_accounts.split(",") if a.strip()}
        if not accounts:
            raise LiveRefused(
                f"{what}: on the live endpoint PM_MCP_ACCOUNTS must list the account ids an "
                "assistant may write to; it is empty. Nothing was sent."
            )
        account_id = self.app.account_id()
        if account_id not in accounts:
            raise LiveRefused(
                f"{what}: account {account_id} is not in PM_MCP_ACCOUNTS. Nothing was sent."
            )
