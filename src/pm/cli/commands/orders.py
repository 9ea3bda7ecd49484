"""`pm orders` (pm's orders, or the broker's with --broker) and `pm orders cancel`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pm.cli.confirm import LiveOpt, YesOpt
from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, LimitOpt

app = typer.Typer(no_args_is_help=False)


class Status(StrEnum):
    open = "open"
    all = "all"


StatusOpt = Annotated[Status, typer.Option("--status", help="open (not final yet) or all.")]


@app.callback(invoke_without_command=True)
def orders(
    ctx: typer.Context,
    status: StatusOpt = Status.open,
    broker: Annotated[
        bool, typer.Option("--broker", help="The broker's orders (pm's and others').")
    ] = False,
    limit: LimitOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """pm's own orders as stored (open ones by default; unsettled ones are looked up
    first), or with --broker the broker's list."""
    if ctx.invoked_subcommand is not None:
        return
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_desk
    from pm.cli.views import orders as view
    from pm.services import order_admin as service

    app_ = ctx.obj
    desk = build_desk(app_)
    with speaking_flags():
        if broker:
            rows = service.at_broker(desk, status=status.value, limit=limit or 500)
            app_.terminal.show(view.at_broker(rows, status=status.value))
            return
        found = service.stored(desk, app_.account_id(), status=status.value, limit=limit)
    app_.terminal.show(view.stored(found, status=status.value))


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    order_id: Annotated[
        str | None,
        typer.Argument(help="pm's order number (pm orders) or the broker's order id."),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Cancel every open order.")] = False,
    yes: YesOpt = False,
    live: LiveOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Cancel one open order, or all of them (asks first; audited)."""
    from pm.cli.confirm import require_live_allowed
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_desk
    from pm.cli.views import orders as view
    from pm.domain.errors import BadInput, CheckFailed
    from pm.services import order_admin as service

    if all_ == (order_id is not None):
        raise BadInput("give an order ID or --all (not both)")
    app_ = ctx.obj
    require_live_allowed(app_.settings, live, "orders cancel")
    what = "every open order" if all_ else f"order {order_id}"
    app_.terminal.confirm(f"Cancel {what}?", yes=yes, what="cancel")
    desk = build_desk(app_)
    with speaking_flags():
        done = service.cancel(desk, app_.account_id(), order_id, every=all_)
    app_.terminal.show(view.cancelled(done))
    if done.failed:
        raise CheckFailed(f"orders cancel: {len(done.failed)} of {len(done.results)} failed")
