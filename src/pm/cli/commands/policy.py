"""`pm policy create|list|show|edit|activate|deactivate|rm`: allocation policies."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pm.cli.confirm import YesOpt
from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, read_text_file

if TYPE_CHECKING:
    from pm.domain.policy import PolicyInput

app = typer.Typer(no_args_is_help=True, help="Allocation policies: targets and limits.")

NameArg = Annotated[str, typer.Argument(help="The policy's name.", metavar="NAME")]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="What it is for.")]
MaxPositionOpt = Annotated[
    str | None,
    typer.Option("--max-position-pct", help="Largest weight of one symbol, 1 to 20 (default 8)."),
]
MaxSectorOpt = Annotated[
    str | None,
    typer.Option("--max-sector-pct", help="Largest weight of one sector, 5 to 100 (default 25)."),
]
ProfitOpt = Annotated[
    str | None, typer.Option("--profit-taking-pct", help="Profit-taking threshold (default 20).")
]
OverweightOpt = Annotated[
    str | None,
    typer.Option(
        "--overweight-pct",
        help="A threshold plan trims weights above target x (1 + this/100) (default 50).",
    ),
]
RotationOpt = Annotated[
    str | None,
    typer.Option(
        "--rotation-top-n", help="Without targets: equal weight over the top N holdings (10)."
    ),
]
FrequencyOpt = Annotated[
    str | None, typer.Option("--frequency", help="daily (default), weekly or monthly.")
]
TargetOpt = Annotated[
    list[str] | None,
    typer.Option("--target", metavar="SYM=PCT", help="A target weight; repeat for each symbol."),
]
CashOpt = Annotated[
    str | None, typer.Option("--cash-pct", help="The cash weight (targets + cash = 100).")
]
TargetsOpt = Annotated[
    str | None,
    typer.Option(
        "--targets",
        metavar="FILE|-",
        help="Targets from CSV (symbol,weight_pct) or `policy show --json` output; - is stdin.",
    ),
]


def _input(
    description: str | None,
    max_position_pct: str | None,
    max_sector_pct: str | None,
    profit_taking_pct: str | None,
    overweight_pct: str | None,
    rotation_top_n: str | None,
    frequency: str | None,
    target: list[str] | None,
    cash_pct: str | None,
    targets: str | None,
) -> PolicyInput:
    from pm.domain.errors import BadInput
    from pm.domain.policy import PolicyInput, parse_target_arg
    from pm.records.policy import targets_from_text

    pairs: tuple[tuple[str, str], ...] | None = None
    if target and targets is not None:
        raise BadInput("give targets with --target or with --targets, not both")
    if target:
        pairs = tuple(parse_target_arg(t) for t in target)
    elif targets is not None:
        text = sys.stdin.read() if targets == "-" else read_text_file(Path(targets))
        where = "stdin" if targets == "-" else targets
        pairs, file_cash = targets_from_text(text, where)
        if cash_pct is None:
            cash_pct = file_cash
    return PolicyInput(
        description=description,
        max_position_pct=max_position_pct,
        max_sector_pct=max_sector_pct,
        profit_taking_pct=profit_taking_pct,
        overweight_pct=overweight_pct,
        rotation_top_n=rotation_top_n,
        frequency=frequency,
        cash_pct=cash_pct,
        targets=pairs,
    )


@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArg,
    description: DescriptionOpt = None,
    max_position_pct: MaxPositionOpt = None,
    max_sector_pct: MaxSectorOpt = None,
    profit_taking_pct: ProfitOpt = None,
    overweight_pct: OverweightOpt = None,
    rotation_top_n: RotationOpt = None,
    frequency: FrequencyOpt = None,
    target: TargetOpt = None,
    cash_pct: CashOpt = None,
    targets: TargetsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create an (inactive) policy; every validation error is said at once (exit 2)."""
    from pm.cli.flags import speaking_flags
    from pm.cli.views import policy as view
    from pm.services import policy as service

    app_ = ctx.obj
    with speaking_flags():
        given = _input(
            description,
            max_position_pct,
            max_sector_pct,
            profit_taking_pct,
            overweight_pct,
            rotation_top_n,
            frequency,
            target,
            cash_pct,
            targets,
        )
        made = service.create(
            app_.repo().policies, app_.clock, app_.account_id(), name, given, actor=app_.actor
        )
    app_.terminal.show(view.policy(made, note=f"created policy {made.name}"))


@app.command("list")
def list_(
    ctx: typer.Context, json_: JsonOpt = False, csv: CsvOpt = False, jsonl: JsonlOpt = False
) -> None:
    """The account's policies, the active one marked."""
    from pm.cli.views import policy as view
    from pm.services import policy as service

    app_ = ctx.obj
    app_.terminal.show(view.policies(service.policies(app_.repo().policies, app_.account_id())))


@app.command("show")
def show(ctx: typer.Context, name: NameArg, json_: JsonOpt = False) -> None:
    """One policy with its targets (exit 4 if there is none of that name)."""
    from pm.cli.views import policy as view
    from pm.services import policy as service

    app_ = ctx.obj
    app_.terminal.show(view.policy(service.show(app_.repo().policies, app_.account_id(), name)))


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: NameArg,
    description: DescriptionOpt = None,
    max_position_pct: MaxPositionOpt = None,
    max_sector_pct: MaxSectorOpt = None,
    profit_taking_pct: ProfitOpt = None,
    overweight_pct: OverweightOpt = None,
    rotation_top_n: RotationOpt = None,
    frequency: FrequencyOpt = None,
    target: TargetOpt = None,
    cash_pct: CashOpt = None,
    targets: TargetsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change a policy; given targets replace all of them. Checked in full before writing."""
    from pm.cli.flags import speaking_flags
    from pm.cli.views import policy as view
    from pm.services import policy as service

    app_ = ctx.obj
    with speaking_flags():
        given = _input(
            description,
            max_position_pct,
            max_sector_pct,
            profit_taking_pct,
            overweight_pct,
            rotation_top_n,
            frequency,
            target,
            cash_pct,
            targets,
        )
        changed = service.edit(app_.repo().policies, app_.clock, app_.account_id(), name, given)
    app_.terminal.show(view.policy(changed, note=f"updated policy {changed.name}"))


@app.command("activate")
def activate(ctx: typer.Context, name: NameArg, json_: JsonOpt = False) -> None:
    """Make this the account's one active policy (any other is deactivated)."""
    from pm.cli.views import policy as view
    from pm.services import policy as service

    app_ = ctx.obj
    done = service.activate(app_.repo().policies, app_.clock, app_.account_id(), name)
    app_.terminal.show(view.policy(done, note=f"policy {done.name} is active"))


@app.command("deactivate")
def deactivate(ctx: typer.Context, name: NameArg, json_: JsonOpt = False) -> None:
    """Deactivate a policy (the account then has none active)."""
    from pm.cli.views import policy as view
    from pm.services import policy as service

    app_ = ctx.obj
    done = service.deactivate(app_.repo().policies, app_.clock, app_.account_id(), name)
    app_.terminal.show(view.policy(done, note=f"policy {done.name} is inactive"))


@app.command("rm")
def rm(ctx: typer.Context, name: NameArg, yes: YesOpt = False, json_: JsonOpt = False) -> None:
    """Delete a policy (asks first; --yes off a terminal). Past runs keep their records."""
    from pm.cli.views import policy as view
    from pm.services import policy as service

    app_ = ctx.obj
    store, account_id = app_.repo().policies, app_.account_id()
    found = service.show(store, account_id, name)
    app_.terminal.confirm(
        f"Delete policy {found.name}?", yes=yes, what=f"pm policy rm {found.name}"
    )
    removed = service.remove(store, account_id, name)
    app_.terminal.show(view.policy(removed, note=f"removed policy {removed.name}"))
