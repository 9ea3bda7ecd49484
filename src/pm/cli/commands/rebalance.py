"""`pm rebalance plan`: order intents that bring the account to its allocation policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pm.cli.options import JsonOpt

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
) -> None:
    """Plan the orders (sells first, then buys) live against the account; sends nothing."""
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_guard
    from pm.cli.views import rebalance as view
    from pm.domain.errors import BadInput
    from pm.services import rebalance as service

    app_ = ctx.obj
    chosen = trigger.strip().lower()
    if chosen not in ("manual", "threshold"):
        raise BadInput(f"--trigger {trigger!r} must be manual or threshold")
    settings = app_.settings
    guard = build_guard(app_)
    with speaking_flags():
        made = service.make_plan(
            guard,
            app_.repo().policies,
            app_.account_id(),
            policy_name=policy,
            trigger=chosen,  # type: ignore[arg-type]
            settings=service.PlanSettings(
                cash_buffer_pct=settings.pm_rebalance_cash_buffer_pct,
                min_trade_pct=settings.pm_rebalance_min_trade_pct,
            ),
        )
    shown = view.plan(made)
    if out is not None:
        from pm.cli.output import json_text

        try:
            out.write_text(json_text(shown.data) + "\n", encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{out}: cannot write the plan ({exc.__class__.__name__})") from None
    app_.terminal.show(shown)
