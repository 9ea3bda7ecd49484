"""`pm rebalance plan`: order intents that bring the account to its allocation policy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from pm.cli.confirm import LiveOpt, YesOpt
from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, LimitOpt, SinceOpt
from pm.cli.rebalancing import make_plan, plan_settings, run_inputs, run_settings_for, send_run

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.domain.rebalance import Trigger
    from pm.domain.rebalance_runs import RunIntent
    from pm.services.rebalance_run import RunDone, RunSettings

app = typer.Typer(no_args_is_help=True, help="Rebalance the account to an allocation policy.")

PolicyOpt = Annotated[
    str | None,
    typer.Option("--policy", metavar="NAME", help="The policy (default: the active one)."),
]
TriggerOpt = Annotated[
    str,
    typer.Option(
        "--trigger",
        metavar="manual|threshold",
        help="threshold: only trim positions beyond target x (1 + overweight %).",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", help="Also write the plan as JSON to FILE."),
]


@app.command("plan")
def plan(
    ctx: typer.Context,
    policy: PolicyOpt = None,
    trigger: TriggerOpt = "manual",
    out: OutOpt = None,
    json_: JsonOpt = False,
    tax_aware: Annotated[
        bool,
        typer.Option(
            "--tax-aware",
            help="Size trims for taxes (FIFO lots): estimated realized gains, wash sales.",
        ),
    ] = False,
) -> None:
    """Plan the orders (sells first, then buys) live against the account; sends nothing."""
    from pm.cli.flags import speaking_flags
    from pm.cli.views import rebalance as view
    from pm.domain.errors import BadInput

    app_ = ctx.obj
    chosen = trigger.strip().lower()
    if chosen not in ("manual", "threshold"):
        raise BadInput(f"--trigger {trigger!r} must be manual or threshold")
    if out is not None and str(out) == "-":
        raise BadInput("--out takes a file name (not -): --json prints the plan to stdout")
    with speaking_flags():
        made = make_plan(app_, policy, cast("Trigger", chosen), tax_aware=tax_aware)
    shown = view.plan(made)
    if out is not None:
        from pm.cli.output import json_text

        try:
            out.write_text(json_text(shown.data) + "\n", encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{out}: cannot write the plan ({exc.__class__.__name__})") from None
    app_.terminal.show(shown)


PlanFileOpt = Annotated[
    str | None,
    typer.Option(
        "--plan",
        metavar="FILE|-",
        help="A plan from `rebalance plan --json` (edited or not); - reads stdin.",
    ),
]
MaxMoveOpt = Annotated[
    str,
    typer.Option(
        "--max-price-move-pct",
        metavar="PCT",
        help="A plan is stale when a price moved more than this since it was made (default 2).",
    ),
]


ExecuteOpt = Annotated[
    bool, typer.Option("--execute", help="Send the orders (without it: a dry run).")
]
SlippageOpt = Annotated[
    str | None,
    typer.Option(
        "--limit-slippage-bps",
        metavar="N",
        help="Limit orders at the estimated price +/- N basis points (default: market).",
    ),
]
FillTimeoutOpt = Annotated[
    float,
    typer.Option(
        "--fill-timeout",
        metavar="S",
        min=0,
        max=86_400,
        help="Wait at most S seconds for each phase's fills (default 60).",
    ),
]
QueueOpt = Annotated[
    bool,
    typer.Option(
        "--queue",
        help="While the market is closed: submit day orders the broker holds for the open.",
    ),
]
RunIdOpt = Annotated[
    int | None,
    typer.Option("--run", metavar="RUN_ID", min=1, help="A stored pending run (approve it)."),
]
RunArg = Annotated[int, typer.Argument(metavar="RUN_ID", min=1, help="The run (see the list).")]


@app.command("run")
def run(
    ctx: typer.Context,
    policy: PolicyOpt = None,
    plan_file: PlanFileOpt = None,
    max_price_move_pct: MaxMoveOpt = "2",
    execute: ExecuteOpt = False,
    yes: YesOpt = False,
    live: LiveOpt = False,
    limit_slippage_bps: SlippageOpt = None,
    fill_timeout: FillTimeoutOpt = 60.0,
    queue: QueueOpt = False,
    run_id: RunIdOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Without --execute a dry run: the plan of a policy, or a plan read back (checked again
    in full: stale exits 1, invalid 2, refused by the gate 1); sends nothing. With it: asks,
    then sells, waits for the fills, buys with the cash there (exit 0 completed, 1 partly
    executed, 2 market closed / not confirmed, 3 broker unavailable)."""
    import sys

    from pm.cli.confirm import require_live_allowed
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_guard
    from pm.cli.options import decimal_arg, read_text_file
    from pm.cli.views import rebalance as view
    from pm.domain.errors import BadInput
    from pm.records.rebalance import read_plan
    from pm.services import policy as policy_service
    from pm.services import rebalance as service
    from pm.services import rebalance_run as runs_service

    app_ = ctx.obj
    chosen = [x for x in (policy, plan_file, run_id) if x is not None]
    if len(chosen) > 1:
        raise BadInput("give one of --policy, --plan and --run")
    max_move = decimal_arg(max_price_move_pct, "--max-price-move-pct")
    if max_move is None or max_move < 0:
        raise BadInput("--max-price-move-pct must be >= 0")
    document = None  # read before the broker is asked: an invalid plan is bad input (exit 2)
    if plan_file is not None:
        text = sys.stdin.read() if plan_file == "-" else read_text_file(Path(plan_file))
        document = read_plan(text, "stdin" if plan_file == "-" else plan_file)
    run_settings = run_settings_for(
        app_, queue=queue, fill_timeout=fill_timeout, bps=limit_slippage_bps
    )
    if execute:
        require_live_allowed(app_.settings, live, "rebalance run")
    settings = plan_settings(app_)
    account_id = app_.account_id()
    if run_id is not None:
        _approve(app_, account_id, run_id, execute=execute, yes=yes, settings=run_settings)
        return
    if document is None:
        with speaking_flags():
            made = make_plan(app_, policy, "manual")
        if not execute:
            app_.terminal.show(view.plan(made))
            return
        intents, snapshot = run_inputs(made, run_settings)
        policy_id: int | None = made.policy.id
    else:
        checked = service.check_plan(
            build_guard(app_), document, max_price_move_pct=max_move, settings=settings
        )
        if not execute:
            app_.terminal.show(view.checked(checked))
            return
        intents = runs_service.intents_of_checked(checked, run_settings.limit_slippage_bps)
        snapshot = runs_service.snapshot_of_checked(checked, settings.min_trade_pct)
        policy_id = policy_service.policy_id(app_.repo().policies, account_id, document.policy_name)
    _execute(app_, account_id, intents, snapshot, policy_id, run_settings, yes=yes)


def _execute(
    app_: AppContext,
    account_id: str,
    intents: list[RunIntent],
    snapshot: dict[str, Any],
    policy_id: int | None,
    run_settings: RunSettings,
    *,
    yes: bool,
) -> None:
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_desk
    from pm.services import rebalance_run as runs_service

    desk = build_desk(app_)
    with speaking_flags():
        runs_service.market_gate(desk, intents, run_settings.queue)
    sells = sum(1 for i in intents if i.side == "sell")
    app_.terminal.confirm(
        f"Send {sells} sells, then {len(intents) - sells} buys (sized to the cash after the "
        f"sells) to account {account_id}?",
        yes=yes,
        what="rebalance run",
    )
    with speaking_flags():
        done = send_run(app_, desk, account_id, intents, snapshot, policy_id, run_settings)
    _show_done(app_, done)


def _approve(
    app_: AppContext,
    account_id: str,
    run_id: int,
    *,
    execute: bool,
    yes: bool,
    settings: RunSettings,
) -> None:
    """`run --run RUN_ID`: show a stored run; with --execute, send it (approve a pending run)."""
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_desk
    from pm.cli.views import rebalance_run as run_view
    from pm.services import rebalance_run as runs_service

    stored = app_.repo().runs.get(account_id, run_id)
    desk = build_desk(app_)
    if not execute:
        app_.terminal.show(run_view.run(stored, runs_service.orders_of(desk, stored)))
        return
    app_.terminal.confirm(
        f"Send the {len(stored.order_intents)} orders of rebalance run {run_id}?",
        yes=yes,
        what="rebalance run",
    )
    with speaking_flags():
        done = runs_service.resume(
            desk, app_.repo().runs, account_id, run_id, settings=settings, approve=True
        )
    _show_done(app_, done)


def _show_done(app_: AppContext, done: RunDone) -> None:
    from pm.cli.views import rebalance_run as run_view
    from pm.domain.errors import CheckFailed

    note = f"rebalance run {done.run.id}: {done.run.status}"
    app_.terminal.show(run_view.run(done.run, done.orders, note=note))
    if done.exit_code == 1:
        raise CheckFailed(f"rebalance run {done.run.id} was partly executed: {done.run.rationale}")
    if done.exit_code == 3:
        from pm.domain.errors import BrokerUnavailable

        raise BrokerUnavailable(
            f"rebalance run {done.run.id}: {done.run.rationale}",
            broker=app_.broker().name,
            last_attempt=done.run.completed_at or done.run.started_at,
        )


@app.command("resume")
def resume(
    ctx: typer.Context,
    run_id: RunArg,
    live: LiveOpt = False,
    fill_timeout: FillTimeoutOpt = 60.0,
    json_: JsonOpt = False,
) -> None:
    """Continue a run left running (a crash), pending (queued for the open, or not filled in
    time) or failed: every intent is looked up by its client_order_id first, none sent twice."""
    from pm.cli.confirm import require_live_allowed
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_desk
    from pm.services import rebalance_run as runs_service

    app_ = ctx.obj
    require_live_allowed(app_.settings, live, "rebalance resume")
    run_settings = run_settings_for(app_, queue=False, fill_timeout=fill_timeout)
    with speaking_flags():
        done = runs_service.resume(
            build_desk(app_), app_.repo().runs, app_.account_id(), run_id, settings=run_settings
        )
    _show_done(app_, done)


@app.command("show")
def show(ctx: typer.Context, run_id: RunArg, json_: JsonOpt = False) -> None:
    """A run: its intents, orders, fills, drift before and after, and the rationale."""
    from pm.cli.guard import build_desk
    from pm.cli.views import rebalance_run as run_view
    from pm.services import rebalance_run as runs_service

    app_ = ctx.obj
    stored = app_.repo().runs.get(app_.account_id(), run_id)
    app_.terminal.show(run_view.run(stored, runs_service.orders_of(build_desk(app_), stored)))


StatusOpt = Annotated[
    str | None,
    typer.Option(
        "--status", metavar="pending|running|completed|failed", help="Only runs in this status."
    ),
]


@app.command("list")
def list_(
    ctx: typer.Context,
    status: StatusOpt = None,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """The account's rebalance runs, newest first, with trigger counts and success rate."""
    from pm.cli.views import rebalance_run as run_view
    from pm.domain.errors import BadInput
    from pm.domain.rebalance_runs import RUN_STATUSES

    app_ = ctx.obj
    chosen = None if status is None else status.strip().lower()
    if chosen is not None and chosen not in RUN_STATUSES:
        raise BadInput(f"--status {status!r} must be one of {', '.join(RUN_STATUSES)}")
    found = app_.repo().runs.runs(app_.account_id(), status=chosen, since=since, limit=limit)
    app_.terminal.show(run_view.listing(found))
