"""Every runnable `$ pm ...` example in the README runs, in order, and exits as documented."""

from __future__ import annotations

from pathlib import Path

from tests.docs import readme
from tests.support.pm_cli import call, isolated_env


def test_readme_examples_exit_as_documented(tmp_path: Path) -> None:
    examples = readme.examples()
    assert len(examples) >= 5, "the README's `$ pm --demo` examples were not found"
    failures = []
    with isolated_env(tmp_path):
        for example in examples:
            done = call(*example.argv)
            if done.code != example.exit_code:
                failures.append(
                    f"README line {example.line}: `pm {' '.join(example.argv)}` exited "
                    f"{done.code}, documented {example.exit_code}\n  {done.stderr.strip()[-300:]}"
                )
    assert not failures, "\n".join(failures)


def test_example_syntax() -> None:
    source = (
        "```\n$ pm --demo a --json | jq .x   # exit 1 when breached\nout\n"
        "$ pm --demo b 'c d' && pm --demo e   # exit 2\n$ pm real\n$ pm f   # runnable\n"
        "$ pm --demo g   # table; exit 1 when breached\n```\n$ pm --demo no\n"
    )
    got = [(e.argv, e.exit_code) for e in readme.examples(source)]
    assert got == [
        (("--demo", "a", "--json"), 1),
        (("--demo", "b", "c d"), 0),
        (("--demo", "e"), 2),
        (("f",), 0),
        (("--demo", "g"), 0),
    ]
