"""`pm rebalance plan`: order intents that bring the account to its allocation policy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pm.cli.options import JsonOpt

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.domain.rebalance import Trigger
    from pm.services.rebalance import PlanSettings, RebalancePlan
    from pm.services.validate import Guard

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
    with speaking_flags():
        made = make_plan(app_, policy, chosen, tax_aware=tax_aware)  # type: ignore[arg-type]
    shown = view.plan(made)
    if out is not None:
        from pm.cli.output import json_text

        try:
            out.write_text(json_text(shown.data) + "\n", encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{out}: cannot write the plan ({exc.__class__.__name__})") from None
    app_.terminal.show(shown)


def _tax_aware(
    app_: AppContext,
    guard: Guard,
    policy: str | None,
    trigger: str,
    plan_settings: PlanSettings,
) -> RebalancePlan:
    """`--tax-aware`: the ledger's lots size the trims (`pm.services.tax_plan`)."""
    from pm.cli.commands.trades import local_sync
    from pm.services import tax_plan

    account_id = app_.account_id(ask_broker=app_.identity().simulated)
    local_sync(app_, account_id)
    repo = app_.repo()
    return tax_plan.tax_aware_plan(
        guard,
        repo.policies,
        repo.ledger,
        account_id,
        policy_name=policy,
        trigger=trigger,  # type: ignore[arg-type]
        settings=plan_settings,
        tolerance_pct=app_.settings.pm_tax_drift_tolerance_pct,
    )


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


@app.command("run")
def run(
    ctx: typer.Context,
    policy: PolicyOpt = None,
    plan_file: PlanFileOpt = None,
    max_price_move_pct: MaxMoveOpt = "2",
    json_: JsonOpt = False,
) -> None:
    """A dry run: the plan of a policy, or a plan read back (checked again in full: stale
    exits 1, invalid 2, refused by the gate 1). Sends nothing."""
    import sys

    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_guard
    from pm.cli.options import decimal_arg, read_text_file
    from pm.cli.views import rebalance as view
    from pm.domain.errors import BadInput
    from pm.records.rebalance import read_plan
    from pm.services import rebalance as service

    app_ = ctx.obj
    if policy is not None and plan_file is not None:
        raise BadInput("give --policy or --plan, not both")
    max_move = decimal_arg(max_price_move_pct, "--max-price-move-pct")
    if max_move is None or max_move < 0:
        raise BadInput("--max-price-move-pct must be >= 0")
    if plan_file is None:
        with speaking_flags():
            made = make_plan(app_, policy, "manual")
        app_.terminal.show(view.plan(made))
        return
    text = sys.stdin.read() if plan_file == "-" else read_text_file(Path(plan_file))
    document = read_plan(text, "stdin" if plan_file == "-" else plan_file)
    checked = service.check_plan(
        build_guard(app_), document, max_price_move_pct=max_move, settings=plan_settings(app_)
    )
    app_.terminal.show(view.checked(checked))


def plan_settings(app_: AppContext) -> PlanSettings:
    from pm.services.rebalance import PlanSettings

    settings = app_.settings
    return PlanSettings(
        cash_buffer_pct=settings.pm_rebalance_cash_buffer_pct,
        min_trade_pct=settings.pm_rebalance_min_trade_pct,
    )


def make_plan(
    app_: AppContext, policy: str | None, trigger: Trigger, *, tax_aware: bool = False
) -> RebalancePlan:
    """The plan of `pm rebalance plan` (and of `pm mcp`'s rebalance_plan), live against the
    account, through the pre-trade gate; nothing is sent."""
    from pm.cli.guard import build_guard
    from pm.services import rebalance as service

    guard = build_guard(app_)
    if tax_aware:
        return _tax_aware(app_, guard, policy, trigger, plan_settings(app_))
    return service.make_plan(
        guard,
        app_.repo().policies,
        app_.account_id(),
        policy_name=policy,
        trigger=trigger,
        settings=plan_settings(app_),
    )
