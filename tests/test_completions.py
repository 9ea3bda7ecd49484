"""Shell completion: the committed scripts in completions/ are current, and they complete.

completions/generate.py writes the scripts; the bash one calls `pm` back with
`_PM_COMPLETE=complete_bash COMP_WORDS=... COMP_CWORD=...` at each <Tab>.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPLETIONS = ROOT / "completions"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pm_completions_generate", COMPLETIONS / "generate.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = load_generator()


@pytest.mark.parametrize(("shell", "name"), sorted(GENERATE.FILES.items()))
def test_committed_script_is_current(shell: str, name: str) -> None:
    committed = COMPLETIONS / name
    assert committed.exists(), (
        f"{committed} is missing: run `uv run python completions/generate.py`"
    )
    assert committed.read_text() == GENERATE.render(shell), (
        f"{committed.name} is out of date: run `uv run python completions/generate.py`"
    )


def bash_complete_in_process(monkeypatch: pytest.MonkeyPatch, line: str, cword: int) -> list[str]:
    import typer.main
    from typer._click.shell_completion import get_completion_class
    from typer.completion import completion_init

    from pm.cli.app import app

    completion_init()
    comp_cls = get_completion_class("bash")
    assert comp_cls is not None
    monkeypatch.setenv("COMP_WORDS", line)
    monkeypatch.setenv("COMP_CWORD", str(cword))
    comp = comp_cls(typer.main.get_command(app), {}, "pm", "_PM_COMPLETE")
    return comp.complete().splitlines()


def test_bash_completes_command_names(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bash_complete_in_process(monkeypatch, "pm pos", 1) == ["positions"]


def test_bash_completes_options_of_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    offered = bash_complete_in_process(monkeypatch, "pm --demo positions --", 3)
    assert {"--json", "--csv"} <= set(offered)


def pm_with(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_PM_", "COMP_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "pm"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_entry_point_answers_bash_completion() -> None:
    done = pm_with({"_PM_COMPLETE": "complete_bash", "COMP_WORDS": "pm pos", "COMP_CWORD": "1"})
    assert done.returncode == 0, done.stderr
    assert "positions" in done.stdout.splitlines()


@pytest.mark.slow
def test_entry_point_prints_the_committed_bash_script() -> None:
    done = pm_with({"_PM_COMPLETE": "source_bash"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (COMPLETIONS / "pm.bash").read_text().strip()
