"""`pm close SYMBOL` and `pm close-all --emergency`: audited, validated, confirmed."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pm.cli.confirm import LiveOpt, YesOpt
from pm.cli.options import JsonOpt, decimal_arg


def close(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="The position to close.")],
    qty: Annotated[str | None, typer.Option("--qty", help="Close this many units.")] = None,
    percentage: Annotated[
        str | None, typer.Option("--percentage", help="Close this percent (0-100].")
    ] = None,
    yes: YesOpt = False,
    live: LiveOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Close a position (all of it by default). Asks first; exit 4 if it is not held."""
    from pm.cli.confirm import require_live_allowed
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_desk, build_guard
    from pm.cli.views import close as view
    from pm.services import close as service

    app_ = ctx.obj
    require_live_allowed(app_.settings, live, "close")
    guard = build_guard(app_)
    with speaking_flags():
        plan = service.plan_close(
            guard,
            symbol,
            qty=decimal_arg(qty, "--qty"),
            percentage=decimal_arg(percentage, "--percentage"),
        )
    app_.terminal.say(view.plan(plan))
    app_.terminal.confirm(f"Close {plan.qty} {plan.symbol}?", yes=yes, what="close")
    arguments: dict[str, Any] = {"qty": qty, "percentage": percentage, "live": live}
    done = service.execute_close(build_desk(app_), plan, arguments=arguments)
    app_.terminal.show(view.close(done))


def close_all(
    ctx: typer.Context,
    emergency: Annotated[
        bool, typer.Option("--emergency", help="Required: this is the emergency stop.")
    ] = False,
    yes: YesOpt = False,
    live: LiveOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Cancel open orders, close every position and trip the circuit breaker."""
    from pm.cli.confirm import NotConfirmed, require_live_allowed
    from pm.cli.guard import build_desk, build_guard
    from pm.cli.views import close as view
    from pm.domain.errors import CheckFailed
    from pm.services import close as service

    if not emergency:
        raise NotConfirmed("close-all needs --emergency (it closes everything). Nothing was sent.")
    app_ = ctx.obj
    require_live_allowed(app_.settings, live, "close-all")
    guard = build_guard(app_)
    plan = service.plan_close_all(guard)
    app_.terminal.tell(view.all_plan(plan))
    app_.terminal.confirm(f"Close all {len(plan.positions)} positions?", yes=yes, what="close-all")
    done = service.execute_close_all(
        build_desk(app_), app_.breaker_store(), plan, arguments={"emergency": True, "live": live}
    )
    app_.terminal.show(view.close_all(done))
    if done.failed:
        raise CheckFailed(view.failure_line(done))
