"""What the migrations are, known without importing alembic (which costs most of a second)."""

from __future__ import annotations

from pathlib import Path

import pm

#: Every revision in ``migrations/versions``, oldest first; ``tests/db`` checks it against
#: alembic's own view of the script directory. Add a new revision here too.
REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
HEAD_REVISION: str = REVISIONS[-1]

#: The PostgreSQL advisory lock key held while migrating (any fixed 64-bit number).
MIGRATION_LOCK_KEY = 0x706D_6D69_6772  # "pmmigr"


def migrations_dir() -> Path:
    """The Alembic script directory: ``pm/_migrations`` in a wheel, ``<repo>/migrations`` in a
    source checkout."""
    package = Path(pm.__file__).resolve().parent
    for candidate in (package / "_migrations", package.parents[1] / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(f"no migrations next to {package} (looked for _migrations/env.py)")
