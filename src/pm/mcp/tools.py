"""The tools `pm mcp` serves: one function each, and one `ToolSpec` entry in `TOOLS`.

A tool function takes the `Front` first, then its arguments (their annotations are the tool's
input schema), and returns the same record(s) as the matching command's `--json`, built by the
same `pm.records` function from the same service call (where a command does more than call
its service, there is one function both call: `measure` and `make_plan` in the command module,
`assess` in `pm.cli.regime_job`).
Adding a tool (`execute_rebalance`) is a function here and one line in `TOOLS`.

A command's warnings reach the assistant: whatever a tool's path says through the app's
Terminal (`pm.cli.ledger.local_sync`'s "trade ledger not synced") is kept by `Front.run` for the
answer, and where the command shows a view with warnings (a stale snapshot, a VaR fallback, a
regime unknown), the tool builds its record through that view (`_shown`) so that they are said
too.

Write tools run in two steps (`pm.mcp.confirm`): without `confirmation_token` they return a
preview and a token; with it they execute through the same service, pre-trade gate and audit
log as the command line, with `origin: mcp` in the audit arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo

from pm.domain.money import parse_input
from pm.mcp.front import Front

if TYPE_CHECKING:
    from pm.cli.terminal import Shown

ORIGIN = "mcp"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool: its function, what it touches (the MCP annotations), and its result's shape."""

    run: Callable[..., Any]
    title: str
    command: str  # the `pm` command whose --json it equals
    broker: bool  # may call the broker (open_world_hint)
    write: bool = False  # changes the account (only with --allow-writes; destructive_hint)
    # may trip the circuit breaker, a safety stop that blocks orders and sends none: not
    # read-only, not destructive, listed without --allow-writes
    trips_breaker: bool = False
    idempotent: bool = False
    list_key: str | None = None  # a list result is returned as {list_key: [...]}

    @property
    def name(self) -> str:
        return self.run.__name__

    @property
    def description(self) -> str:
        return " ".join((self.run.__doc__ or "").split())

    def structured(self, data: Any) -> dict[str, Any]:
        """The structured content: the record, or a list under `list_key`."""
        return {self.list_key: list(data)} if self.list_key else data


def _typed(value: Decimal, info: ValidationInfo) -> Decimal:
    """A number in the range a person may type at the command line (`parse_input`: under
    1e15, at most 9 decimals); beyond it the services' arithmetic fails (1e400)."""
    return parse_input(str(value), f"`{info.field_name}`")


Number = Annotated[Decimal, AfterValidator(_typed)]


def _shown(front: Front, shown: Shown) -> dict[str, Any]:
    """A view's record, its warnings said through the Terminal as the command says them
    (`Front.run` keeps them for the answer)."""
    for message in shown.warnings:
        front.app.terminal.warn(message)
    record: dict[str, Any] = shown.data
    return record


# -- read tools ------------------------------------------------------------------------------


def get_portfolio_snapshot(front: Front) -> dict[str, Any]:
    """Equity, cash, buying power and P/L of the account, live from the broker (the fields of
    `pm snapshot --json`)."""
    from pm.cli.views import snapshot as view
    from pm.services import snapshot as service

    app = front.app
    result = service.take(app.broker(), app.repo, app.clock, app.writes)
    return _shown(front, view.snapshot(result))


PositionSort = Literal[
    "symbol", "qty", "market_value", "cost_basis", "unrealized_pl", "unrealized_pl_pct"
]


def get_live_positions(
    front: Front, sort: PositionSort = "symbol", descending: bool = False
) -> list[dict[str, Any]]:
    """Open positions with P/L, live from the broker, under `positions` (each with the fields
    of `pm positions --json`)."""
    from pm.records import positions as records
    from pm.services import positions as service

    app = front.app
    result = service.fetch(
        app.broker(), app.repo, app.clock, app.writes, sort=sort, descending=descending
    )
    return list(records.positions(result.positions, result.source, result.account_id))


def check_portfolio_risk(
    front: Front,
    var_method: Literal["historical", "parametric", "flat"] | None = None,
) -> dict[str, Any]:
    """Concentration, sector exposure, VaR/CVaR, drawdown, alerts and the risk level of the
    live book (the fields of `pm risk --json`; a breached limit is in `alerts`, not an
    error)."""
    from pm.cli.views import risk as view
    from pm.services import risk as service

    app = front.app
    report = service.assess_risk(
        app.broker(),
        app.repo,
        app.market_data,
        app.breaker_store,
        app.clock,
        app.writes,
        app.settings.risk_limits,
        actor=app.actor,
        var_method=var_method,
    )
    return _shown(front, view.report(report))


def validate_order(
    front: Front,
    symbol: str,
    side: Literal["buy", "sell"],
    qty: Annotated[Number | None, Field(description="Quantity (shares/coins).")] = None,
    notional: Annotated[Number | None, Field(description="Amount in USD.")] = None,
    price: Annotated[Number | None, Field(description="Price to assume.")] = None,
) -> dict[str, Any]:
    """Check an order against the position and sector limits, the daily loss, the circuit
    breaker and buying power; nothing is sent to the broker (the fields of `pm validate
    --json`; `approved` false with `reasons` when rejected). Give exactly one of qty and
    notional."""
    from pm.cli.guard import build_guard
    from pm.records import validate as records
    from pm.services import validate as service

    order = service.ProposedOrder(symbol, side, qty=qty, notional=notional, price=price)
    return records.validation(service.validate(build_guard(front.app), order))


def check_circuit_breaker(front: Front) -> dict[str, Any]:
    """The account's circuit breaker: ACTIVE, or HALTED with reason, who and when (the fields
    of `pm breaker status --json`)."""
    from pm.records import breaker as records
    from pm.services import breaker as service

    app = front.app
    return records.status(service.status(app.breaker_store(), app.account_id()))


def get_reconcile_status(front: Front) -> dict[str, Any]:
    """The last reconciliation of the local book with the broker, whether one runs now, and
    when the next is due (the fields of `pm reconcile status --json`)."""
    from pm.records import reconcile as records
    from pm.services import reconcile as service

    app = front.app
    result = service.status(
        app.reconcile_store(),
        app.account_id(ask_broker=False),
        app.clock,
        interval=timedelta(seconds=app.settings.pm_reconcile_interval),
    )
    return records.status(result)


def market_status(front: Front) -> dict[str, Any]:
    """Whether the US equity market is open now, the next open and close, today's session
    and the next one (early closes included), from the broker's clock and calendar (the
    fields of `pm market --json`)."""
    from pm.records import market as records
    from pm.services import market as service

    app = front.app
    return records.status(service.status(app.broker(), app.clock))


def get_performance(
    front: Front,
    since: Annotated[date | None, Field(description="First day (default a year back).")] = None,
    until: Annotated[date | None, Field(description="Last day (default today).")] = None,
    benchmark: Annotated[str | None, Field(description="Compare with this symbol.")] = None,
) -> dict[str, Any]:
    """Time- and money-weighted return, volatility, Sharpe/Sortino, drawdown and round-trip
    statistics over a window of days, from the broker's daily portfolio history and the
    ledger (the fields of `pm performance --json`)."""
    from pm.cli.performance_report import measure
    from pm.cli.views import performance as view

    report = measure(front.app, since=since, until=until, benchmark=benchmark)
    return _shown(front, view.report(report))


def get_regime(front: Front) -> dict[str, Any]:
    """The market regime from FRED (VIX, yield spreads, unemployment; cached) and its
    position-size multiplier (the fields of `pm regime --json`). As `pm regime` does, a VIX
    above PM_EMERGENCY_VIX trips the circuit breaker (`breaker_tripped`)."""
    from pm.cli.regime_job import assess
    from pm.cli.views import regime as view

    return _shown(front, view.report(assess(front.app)))


def rebalance_plan(
    front: Front,
    policy: Annotated[
        str | None, Field(description="Policy name (default: the active one).")
    ] = None,
    trigger: Literal["manual", "threshold"] = "manual",
) -> dict[str, Any]:
    """The orders (sells first, then buys) that would bring the account to its allocation
    policy, each passed by the pre-trade gate; a plan only, nothing is sent (the fields of
    `pm rebalance plan --json`). threshold: only trim positions beyond their overweight
    threshold."""
    from pm.cli.rebalancing import make_plan
    from pm.cli.views import rebalance as view

    return _shown(front, view.plan(make_plan(front.app, policy, trigger)))


def get_trades(
    front: Front,
    symbol: Annotated[str | None, Field(description="Only this symbol.")] = None,
    since: Annotated[date | None, Field(description="From this day on (UTC).")] = None,
) -> list[dict[str, Any]]:
    """Fills stored in the account's trade ledger, oldest first, under `fills` (each with the
    fields of `pm trades --json`; `pm trades sync` imports the broker's)."""
    from pm.cli.ledger import ledger_account
    from pm.records import trades as records
    from pm.services import trades as service

    app = front.app
    start = datetime.combine(since, time(), UTC) if since is not None else None
    rows = service.fills(app.repo(), ledger_account(app), symbol=symbol, since=start)
    return [records.fill(f) for f in rows]


def get_lots(
    front: Front,
    which: Literal["all", "open", "closed"] = "all",
    symbol: Annotated[str | None, Field(description="Only this symbol.")] = None,
) -> list[dict[str, Any]]:
    """FIFO tax lots of the stored fills under `lots`: open ones, then closed ones with
    realized P/L, holding days and term (the fields of `pm trades lots --json`)."""
    from pm.cli.ledger import ledger_account
    from pm.domain.market_calendar import trade_date
    from pm.records import trades as records
    from pm.services import trades as service

    app = front.app
    result = service.lots(
        app.repo(),
        ledger_account(app),
        symbol=symbol,
        open_only=which == "open",
        closed_only=which == "closed",
    )
    return records.lots(result, trade_date(app.clock.now()))  # New York days, as the CLI


# -- write tools (two steps) ---------------------------------------------------------------

Token = Annotated[
    str | None,
    Field(description="Leave out for a preview; then pass the preview's token to execute."),
]


def _preview(
    front: Front,
    action: str,
    arguments: dict[str, Any],
    state: str,
    what: dict[str, Any],
    held: Any = None,
) -> dict[str, Any]:
    token, expires_at = front.confirmations.issue(action, arguments, state, held)
    return {
        "executed": False,
        "action": action,
        **what,
        "confirmation_token": token,
        "expires_at": expires_at,
        "expires_in_seconds": int(front.confirmations.ttl.total_seconds()),
    }


def _done(action: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"executed": True, "action": action, "result": result}


def trip_circuit_breaker(
    front: Front,
    reason: Annotated[str, Field(description="Why orders must stop.", min_length=1)],
    confirmation_token: Token = None,
) -> dict[str, Any]:
    """HALT the account's circuit breaker: pre-trade validation then rejects every order that
    opens or adds to a position (as `pm breaker trip`). Two steps: without
    `confirmation_token` it returns a preview and a token good for 60 s; call again with the
    token to trip. Only a person can reset it (`pm breaker reset`)."""
    from pm.mcp.confirm import fingerprint
    from pm.records import breaker as records
    from pm.services import breaker as service

    action = "trip_circuit_breaker"
    front.require_writes_allowed(action)
    if not reason.strip():
        from pm.domain.errors import BadInput

        raise BadInput("`reason` must say why")
    app = front.app
    account_id = app.account_id()
    store = app.breaker_store()
    current = service.status(store, account_id)
    state = fingerprint(account_id, current.state, current.reason, current.changed_at)
    arguments = {"account_id": account_id, "reason": " ".join(reason.split())}
    if confirmation_token is None:
        would = "already HALTED: unchanged" if current.halted else "HALT"
        what = {"would": would, "reason": arguments["reason"]}
        return _preview(front, action, arguments, state, what | {"now": records.status(current)})
    front.confirmations.redeem(confirmation_token, action, arguments, state)
    done = service.trip(
        store, app.audit_log(), app.clock, account_id, reason, actor=app.actor, origin=ORIGIN
    )
    return _done(action, records.status(done.status, changed=done.changed))


def close_position(
    front: Front,
    symbol: str,
    qty: Annotated[Number | None, Field(description="Close this many units.")] = None,
    percentage: Annotated[Number | None, Field(description="Close this percent (0-100].")] = None,
    confirmation_token: Token = None,
) -> dict[str, Any]:
    """Close a position, all of it by default (as `pm close`), through pre-trade validation and
    the audit log. Two steps: without `confirmation_token` it returns what would be sent, the
    validation verdict, and a token good for 60 s, bound to the position's quantity; call
    again with the token to send the order."""
    from pm.cli.guard import build_desk, build_guard
    from pm.mcp.confirm import fingerprint
    from pm.records import close as records
    from pm.records import validate as validation_records
    from pm.services import close as service

    action = "close_position"
    front.require_writes_allowed(action)
    app = front.app
    guard = build_guard(app)
    plan = service.plan_close(guard, symbol, qty=qty, percentage=percentage)
    held = plan.position
    state = fingerprint(plan.account_id, held.symbol, held.qty, held.side)
    arguments = {
        "account_id": plan.account_id,
        "symbol": held.symbol,
        "qty": qty,
        "percentage": percentage,
    }
    if confirmation_token is None:
        what = {
            "would": records.plan(plan),
            "validation": validation_records.validation(plan.validation),
        }
        return _preview(front, action, arguments, state, what)
    front.confirmations.redeem(confirmation_token, action, arguments, state)
    live = app.settings.is_live and app.settings.pm_broker != "demo"
    audit_arguments = {"qty": qty, "percentage": percentage, "live": live, "origin": ORIGIN}
    done = service.execute_close(build_desk(app), plan, arguments=audit_arguments, origin=ORIGIN)
    return _done(action, records.close(done))


def _plan_state(made: Any) -> str:
    """What a rebalance token is bound to besides its plan: the account, its cash and
    positions, and the policy as stored (an edit or another active policy changes it)."""
    from pm.domain.portfolio import holding_key
    from pm.mcp.confirm import fingerprint
    from pm.records.policy import policy as policy_record

    held = sorted((holding_key(p.symbol), p.qty, p.side) for p in made.positions)
    return fingerprint(made.account.account_id, made.account.cash, held, policy_record(made.policy))


def execute_rebalance(
    front: Front,
    policy: Annotated[
        str | None, Field(description="Policy name (default: the active one).")
    ] = None,
    queue: Annotated[
        bool,
        Field(description="While the market is closed: day orders the broker holds for the open."),
    ] = False,
    confirmation_token: Token = None,
) -> dict[str, Any]:
    """Rebalance the account to its allocation policy (as `pm rebalance run --execute`): sells
    first, then buys sized to the cash after the sells, under the account's order lock, stored
    as a rebalance run. Two steps: without `confirmation_token` it returns the plan (the
    fields of `pm rebalance plan --json`), the pre-trade gate's verdict and a token good for
    60 s, bound to that plan and the account's cash, positions and policy; call again with the
    token to execute exactly that plan. While the market is closed equity orders are refused
    unless `queue`."""
    from pm.cli.guard import build_desk
    from pm.cli.rebalancing import make_plan, run_inputs, run_settings_for, send_run
    from pm.cli.views import rebalance as view
    from pm.records import rebalance_run as run_records
    from pm.services.rebalance_run import market_gate

    action = "execute_rebalance"
    front.require_writes_allowed(action)
    app = front.app
    settings = run_settings_for(app, queue=queue)
    made = make_plan(app, policy, "manual")
    account_id = made.account.account_id
    arguments = {"account_id": account_id, "policy": policy, "queue": queue}
    state = _plan_state(made)
    if confirmation_token is None:
        intents, _ = run_inputs(made, settings)
        market_gate(build_desk(app), intents, queue)  # the CLI's refusal, before a token
        gate = {
            "approved": True,
            "orders": len(intents),
            "note": "every order of the plan passed the pre-trade gate (symbols it refused "
            "were planned out: see the plan's warnings); the orders are checked again when "
            "sent",
        }
        what = {"plan": _shown(front, view.plan(made)), "gate": gate}  # the plan's warnings
        return _preview(front, action, arguments, state, what, held=made)
    planned = front.confirmations.redeem(confirmation_token, action, arguments, state)
    intents, snapshot = run_inputs(planned, settings)  # the previewed plan, not today's
    snapshot["origin"] = ORIGIN  # stored with the run (`input_snapshot`)
    done = send_run(
        app, build_desk(app), account_id, intents, snapshot, planned.policy.id, settings
    )
    return _done(action, run_records.run(done.run, done.orders))


# -- the registry ----------------------------------------------------------------------------

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(get_portfolio_snapshot, "Portfolio snapshot", "snapshot", broker=True),
    ToolSpec(get_live_positions, "Live positions", "positions", broker=True, list_key="positions"),
    ToolSpec(check_portfolio_risk, "Portfolio risk", "risk", broker=True),
    ToolSpec(validate_order, "Validate an order (nothing sent)", "validate", broker=True),
    ToolSpec(check_circuit_breaker, "Circuit breaker status", "breaker status", broker=True),
    ToolSpec(get_reconcile_status, "Reconciliation status", "reconcile status", broker=False),
    ToolSpec(market_status, "Market clock", "market", broker=True),
    ToolSpec(get_performance, "Performance", "performance", broker=True),
    ToolSpec(get_regime, "Market regime", "regime", broker=True, trips_breaker=True),
    ToolSpec(rebalance_plan, "Rebalance plan (nothing sent)", "rebalance plan", broker=True),
    ToolSpec(get_trades, "Stored fills", "trades", broker=False, list_key="fills"),
    ToolSpec(get_lots, "Tax lots", "trades lots", broker=False, list_key="lots"),
    ToolSpec(
        trip_circuit_breaker,
        "Trip the circuit breaker (two steps)",
        "breaker trip",
        broker=True,
        write=True,
        idempotent=True,
    ),
    ToolSpec(
        close_position,
        "Close a position (two steps)",
        "close",
        broker=True,
        write=True,
    ),
    ToolSpec(
        execute_rebalance,
        "Execute a rebalance (two steps)",
        "rebalance run --execute",
        broker=True,
        write=True,
    ),
)


def available(*, allow_writes: bool) -> tuple[ToolSpec, ...]:
    """The tools a server offers: the read tools, and the write tools only when allowed."""
    return tuple(t for t in TOOLS if allow_writes or not t.write)
