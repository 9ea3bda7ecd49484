"""The Typer application: global options and the command groups.

Command modules import only typer at module level; everything heavy is imported inside the
command, so `pm --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pm import __version__
from pm.cli.commands import alerts as alerts_cmd
from pm.cli.commands import audit as audit_cmd
from pm.cli.commands import book as book_cmd
from pm.cli.commands import breaker as breaker_cmd
from pm.cli.commands import close as close_cmd
from pm.cli.commands import config as config_cmd
from pm.cli.commands import db as db_cmd
from pm.cli.commands import demo as demo_cmd
from pm.cli.commands import doctor as doctor_cmd
from pm.cli.commands import exits as exits_cmd
from pm.cli.commands import history, positions, snapshot
from pm.cli.commands import market as market_cmd
from pm.cli.commands import mcp as mcp_cmd
from pm.cli.commands import orders as orders_cmd
from pm.cli.commands import performance as performance_cmd
from pm.cli.commands import policy as policy_cmd
from pm.cli.commands import rebalance as rebalance_cmd
from pm.cli.commands import reconcile as reconcile_cmd
from pm.cli.commands import regime as regime_cmd
from pm.cli.commands import risk as risk_cmd
from pm.cli.commands import sectors as sectors_cmd
from pm.cli.commands import size as size_cmd
from pm.cli.commands import tax as tax_cmd
from pm.cli.commands import trades as trades_cmd
from pm.cli.commands import validate as validate_cmd
from pm.cli.commands import watch as watch_cmd
from pm.cli.context import AppContext, Options

app = typer.Typer(
    name="pm",
    help="Portfolio operations for Alpaca accounts. The broker is the source of truth.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Choice values and option names are case-insensitive (`--side BUY`, `--sort MARKET_VALUE`).
    context_settings={"help_option_names": ["-h", "--help"], "token_normalize_func": str.lower},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pm {__version__}")
        raise typer.Exit


@app.callback()
def main(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Use the built-in simulated account (no credentials)."),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.1,
            max=600,
            help="Give up on the broker after this many seconds [30].",
        ),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv for debug).")
    ] = 0,
    debug: Annotated[
        bool, typer.Option("--debug", help="Debug logging and tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Portfolio operations for Alpaca accounts."""
    options = Options(demo=demo, timeout=timeout, verbose=verbose, debug=debug)
    if isinstance(ctx.obj, AppContext):
        ctx.obj.options = options
    else:
        ctx.obj = AppContext(options)


app.command("snapshot")(snapshot.snapshot)
app.add_typer(positions.app, name="positions")
app.command("history")(history.history)
app.add_typer(db_cmd.app, name="db")
app.add_typer(config_cmd.app, name="config")
app.add_typer(breaker_cmd.app, name="breaker")
app.command("validate")(validate_cmd.validate)
app.command("close")(close_cmd.close)
app.command("close-all")(close_cmd.close_all)
app.add_typer(orders_cmd.app, name="orders")
app.command("risk")(risk_cmd.risk)
app.add_typer(sectors_cmd.app, name="sectors")
app.add_typer(reconcile_cmd.app, name="reconcile")
app.command("watch")(watch_cmd.watch)
app.add_typer(book_cmd.app, name="book")
app.command("audit")(audit_cmd.audit)
app.command("alerts")(alerts_cmd.alerts)
app.command("doctor")(doctor_cmd.doctor)
app.command("performance")(performance_cmd.performance)
app.add_typer(demo_cmd.app, name="demo")
app.command("mcp")(mcp_cmd.mcp)
app.add_typer(trades_cmd.app, name="trades")
app.add_typer(policy_cmd.app, name="policy")
app.add_typer(exits_cmd.app, name="exits")
app.add_typer(rebalance_cmd.app, name="rebalance")
app.add_typer(tax_cmd.app, name="tax")
app.command("regime")(regime_cmd.regime)
app.command("market")(market_cmd.market)
app.command("size")(size_cmd.size)
