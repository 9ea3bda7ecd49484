"""Start-up cost of `pm`, and what the light commands import.

Measures: wall time of `python -m pm --help` against `python -c "import typer"` (both as
subprocesses of the venv's python, best of N each).
Target: `pm --help` within 3x of importing typer.

Also checks (not timed): `pm --help`, `pm --version`, `pm config show` and
`pm --demo snapshot` never import alpaca or pandas; `pm --help` imports neither sqlalchemy
nor alembic; opening an already-migrated database does not import alembic.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.benchmarks.conftest import best_of, clean_env, import_breakdown, run_ok, sampled

HELP_RATIO_TARGET = 3.0

# Runs `pm ARGS...` in-process and reports which heavy packages ended up imported.
PROBE = """\
import contextlib, io, json, sys
from pm.cli.main import run
with contextlib.redirect_stdout(io.StringIO()):
    code = run(sys.argv[1:])
heavy = ("alpaca", "pandas", "numpy", "sqlalchemy", "alembic")
print(json.dumps({"code": code, "imported": [m for m in heavy if m in sys.modules]}))
"""


def probe(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    out = json.loads(run_ok([sys.executable, "-c", PROBE, *args], env).stdout)
    return out["code"], out["imported"]


def test_help_within_3x_of_importing_typer(
    benchmark, tmp_path: Path, rounds: Callable[[int, int], int], record
) -> None:
    env = clean_env(tmp_path)
    n = rounds(5, 15)
    help_cmd = [sys.executable, "-m", "pm", "--help"]
    typer_cmd = [sys.executable, "-c", "import typer"]
    best_of(help_cmd, env, 1)  # warm the page cache and any .pyc writes
    baseline = best_of(typer_cmd, env, n)
    pm_help = sampled(benchmark, help_cmd, env, n)
    ratio = pm_help / baseline
    ok = ratio < HELP_RATIO_TARGET
    record(
        f"`pm --help` vs `python -c 'import typer'` (best of {n})",
        f"{pm_help * 1000:.0f} ms vs {baseline * 1000:.0f} ms = {ratio:.2f}x",
        f"< {HELP_RATIO_TARGET:g}x",
        ok,
    )
    assert ok, (
        f"pm --help took {pm_help:.3f}s, {ratio:.2f}x `import typer` ({baseline:.3f}s); "
        f"target < {HELP_RATIO_TARGET}x\n{import_breakdown(help_cmd, env)}"
    )


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["config", "show"], ["--demo", "snapshot"]],
    ids=["help", "version", "config-show", "demo-snapshot"],
)
def test_light_commands_never_import_alpaca_or_pandas(tmp_path: Path, args: list[str]) -> None:
    code, imported = probe(clean_env(tmp_path), *args)
    assert code == 0
    assert "alpaca" not in imported
    assert "pandas" not in imported


def test_help_imports_no_database_layer(tmp_path: Path) -> None:
    code, imported = probe(clean_env(tmp_path), "--help")
    assert code == 0
    assert "sqlalchemy" not in imported
    assert "alembic" not in imported


def test_opening_a_migrated_database_does_not_import_alembic(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    first_code, _ = probe(env, "--demo", "snapshot")  # creates and migrates the database
    assert first_code == 0
    code, imported = probe(env, "--demo", "snapshot")
    assert code == 0
    assert "sqlalchemy" in imported, "the probe should have opened the database"
    assert "alembic" not in imported
