"""How schema revisions look."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from pm.cli.terminal import Shown
from pm.db.revision import HEAD_REVISION
from pm.db.urls import mask_url


def revision(
    url: str, rev: str | None, *, upgrade: bool = False, upgraded_from: str | None = None
) -> Shown:
    """The revision; after an upgrade also the revision it started from."""
    data: dict[str, Any] = {
        "database": mask_url(url),
        "revision": rev,
        "head": HEAD_REVISION,
        "up_to_date": rev == HEAD_REVISION,
    }
    if upgrade:
        data["upgraded_from"] = upgraded_from
    state = ("up to date", "green") if data["up_to_date"] else ("behind", "yellow")
    line = Text.assemble(
        f"{data['database']}: revision {rev or '(empty)'}, head {HEAD_REVISION}, ", state
    )
    return Shown(data, line)
