"""How schema revisions look."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_json, stdout_console
from pm.db.revision import HEAD_REVISION
from pm.db.urls import mask_url


def show_revision(
    url: str,
    revision: str | None,
    *,
    json_: bool,
    upgrade: bool = False,
    upgraded_from: str | None = None,
) -> None:
    """Print the revision; after an upgrade also the revision it started from."""
    data: dict[str, Any] = {
        "database": mask_url(url),
        "revision": revision,
        "head": HEAD_REVISION,
        "up_to_date": revision == HEAD_REVISION,
    }
    if upgrade:
        data["upgraded_from"] = upgraded_from
    if json_:
        print_json(data)
        return
    state = "[green]up to date[/]" if data["up_to_date"] else "[yellow]behind[/]"
    line = f"{data['database']}: revision {revision or '(empty)'}, head {HEAD_REVISION}, {state}"
    stdout_console().print(line)
