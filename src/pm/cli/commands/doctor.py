"""`pm doctor`: settings, endpoint, credentials, clock, database and schema, one line each."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pm.cli.options import JsonOpt

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.doctor import Endpoint, Facts, Schema


def doctor(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Is pm ready? Settings, endpoint, credentials, clock, database.

    The endpoint (paper or live), the credentials (one broker call), the clock, the database
    and its schema. Each line says ok, warn, fail, simulated or skipped; the exit code is that
    of the first failed check (2 settings, 5 credentials, 3 broker, 6 database), else 0."""
    from pm.cli.views import doctor as view
    from pm.services import doctor as service

    app_ = ctx.obj
    diagnosis = service.examine(_facts(app_), app_.clock)
    app_.terminal.show(view.diagnosis(diagnosis))
    if diagnosis.failure is not None:
        raise diagnosis.failure


def _facts(app_: AppContext) -> Facts:
    from pm.services.doctor import Facts

    return Facts(
        settings=lambda: _settings(app_),
        endpoint=lambda: _endpoint(app_),
        account=lambda: app_.broker().get_account(),
        broker_clock=lambda: app_.broker().get_clock(),
        schema=lambda: _schema(app_),
    )


def _settings(app_: AppContext) -> str:
    from pm.config import config_file_path

    app_.settings  # noqa: B018 - reading them is the check (BadInput when they do not parse)
    path = config_file_path()
    return f"config file {path}" if path.is_file() else "environment and defaults (no config file)"


def _endpoint(app_: AppContext) -> Endpoint:
    from pm.broker.alpaca.identity import normalize_base_url
    from pm.services.doctor import Endpoint

    settings = app_.settings
    if settings.pm_broker == "demo":
        return Endpoint("demo", live=False, simulated=True)
    return Endpoint(normalize_base_url(settings.alpaca_base_url), settings.is_live, False)


def _schema(app_: AppContext) -> Schema:
    from pm.db.engine import current_revision
    from pm.db.revision import HEAD_REVISION, REVISIONS
    from pm.db.urls import mask_url
    from pm.services.doctor import Schema

    settings = app_.settings
    current = current_revision(settings.pm_database_url)
    return Schema(
        url=mask_url(settings.pm_database_url),
        current=current,
        head=HEAD_REVISION,
        known=current is None or current in REVISIONS,
        auto_migrate=settings.pm_auto_migrate,
    )
