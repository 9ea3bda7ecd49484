"""`pm exits set|show|rm|status|check|events`: take-profit ladders and trailing stops."""

from __future__ import annotations

from typing import Annotated

import typer

from pm.cli.confirm import LiveOpt, YesOpt
from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, LimitOpt, SinceOpt, decimal_arg

app = typer.Typer(
    no_args_is_help=True,
    help="Exit rules: take-profit ladders and trailing stops kept across restarts.",
)

SymbolArg = Annotated[
    str | None, typer.Argument(help="A symbol's own rule (default: the account's rule).")
]


@app.command("set")
def set_(
    ctx: typer.Context,
    symbol: SymbolArg = None,
    take_profit: Annotated[
        list[str] | None,
        typer.Option(
            "--take-profit",
            metavar="GAIN:SHARE",
            help="A level: at GAIN % over the entry close SHARE % of the original position "
            "(repeat for a ladder; default: the active policy's threshold, a third).",
        ),
    ] = None,
    no_take_profit: Annotated[
        bool, typer.Option("--no-take-profit", help="No take-profit ladder.")
    ] = False,
    trail: Annotated[
        str | None, typer.Option("--trail", metavar="PCT", help="Trail the stop PCT % [3].")
    ] = None,
    no_trail: Annotated[bool, typer.Option("--no-trail", help="No trailing stop.")] = False,
    activate_at: Annotated[
        str | None,
        typer.Option("--activate-at", metavar="PCT", help="The stop trails from this gain [5]."),
    ] = None,
    breakeven_at: Annotated[
        str | None,
        typer.Option(
            "--breakeven-at",
            metavar="PCT",
            help="From this gain the stop is at least entry + 0.5 % [10].",
        ),
    ] = None,
    native: Annotated[
        bool,
        typer.Option("--native", help="Alpaca's own trailing_stop order (no ladder)."),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Set the account's exit rule, or SYMBOL's override."""
    from pm.cli.flags import speaking_flags
    from pm.cli.views import exits as view
    from pm.services import exits as service

    app_ = ctx.obj
    account_id = app_.account_id()
    store = app_.repo().exits
    with speaking_flags():
        rule = service.set_rule(
            store,
            app_.clock,
            account_id,
            symbol,
            take_profit=take_profit,
            no_take_profit=no_take_profit,
            trail=decimal_arg(trail, "--trail"),
            no_trail=no_trail,
            activate_at=decimal_arg(activate_at, "--activate-at"),
            breakeven_at=decimal_arg(breakeven_at, "--breakeven-at"),
            native=native,
            who=str(app_.actor),
        )
    threshold = service.policy_threshold(app_.repo().policies, account_id)
    app_.terminal.show(view.rule_set(rule, rule.ladder(threshold)))


@app.command("show")
def show(
    ctx: typer.Context, json_: JsonOpt = False, csv: CsvOpt = False, jsonl: JsonlOpt = False
) -> None:
    """The account's exit rules (the default `*` and each symbol's)."""
    from pm.cli.views import exits as view
    from pm.services import exits as service

    app_ = ctx.obj
    account_id = app_.account_id()
    repo = app_.repo()
    threshold = service.policy_threshold(repo.policies, account_id)
    found = service.rules(repo.exits, account_id)
    app_.terminal.show(view.rules([(r, r.ladder(threshold)) for r in found]))


@app.command("rm")
def rm(ctx: typer.Context, symbol: SymbolArg = None) -> None:
    """Remove SYMBOL's rule (or the account's default). Exit 4 if there is none."""
    from pm.services import exits as service

    app_ = ctx.obj
    removed = service.remove_rule(app_.repo().exits, app_.account_id(), symbol)
    app_.terminal.say(f"removed the exit rule {removed}")


@app.command("status")
def status(
    ctx: typer.Context, json_: JsonOpt = False, csv: CsvOpt = False, jsonl: JsonlOpt = False
) -> None:
    """Each position: entry, price, gain, high-water mark, stop and distance, next level."""
    from pm.cli.exits_job import exits_env
    from pm.cli.views import exits as view
    from pm.services import exits as service

    app_ = ctx.obj
    report = service.run(exits_env(app_), app_.account_id())
    app_.terminal.show(view.status(report))


@app.command("events")
def events(
    ctx: typer.Context,
    since: SinceOpt = None,
    limit: LimitOpt = 50,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """What the exits did, newest first: positions tracked, high-water marks, stops moved,
    levels fired, orders sent. Reads the database only."""
    from pm.cli.views import exits as view
    from pm.services import exits as service

    app_ = ctx.obj
    found = service.events(
        app_.repo().exits, app_.account_id(ask_broker=False), since=since, limit=limit
    )
    app_.terminal.show(view.events(found))


@app.command("check")
def check(
    ctx: typer.Context,
    execute: Annotated[
        bool, typer.Option("--execute", help="Send what fires (asks first; --yes).")
    ] = False,
    yes: YesOpt = False,
    live: LiveOpt = False,
    json_: JsonOpt = False,
) -> None:
    """One pass: what fires now; with --execute, send it through the order path."""
    from pm.cli.confirm import require_live_allowed
    from pm.cli.exits_job import exits_env
    from pm.cli.guard import build_desk, build_guard
    from pm.cli.views import exits as view
    from pm.domain.errors import BadInput
    from pm.services import exits as service

    if yes and not execute:
        raise BadInput("--yes goes with --execute (without it nothing is sent)")
    app_ = ctx.obj
    account_id = app_.account_id()
    env = exits_env(app_)
    if not execute:
        app_.terminal.show(view.check(service.run(env, account_id)))
        return
    require_live_allowed(app_.settings, live, "exits check --execute")
    app_.terminal.confirm(
        f"Send the exits that fire for {account_id}?", yes=yes, what="exits check --execute"
    )
    report = service.execute(env, build_desk(app_), build_guard(app_), account_id)
    app_.terminal.show(view.check(report))
    if report.failed:
        from pm.domain.errors import CheckFailed

        raise CheckFailed(
            "exit orders not taken: "
            + "; ".join(f"{s.client_order_id}: {s.error}" for s in report.failed)
        )
