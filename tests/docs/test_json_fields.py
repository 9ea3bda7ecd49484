"""Each README JSON field list is exactly the set of fields its command prints."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.docs import readme
from tests.support.pm_cli import call

try:
    CASES = [(fields, command) for fields in readme.field_lists() for command in fields.commands]
    PARSE_ERROR = ""
except AssertionError as error:  # reported by a test, not as a collection error
    CASES, PARSE_ERROR = [], str(error)


def printed(stdout: str) -> Any:
    """One JSON document, or JSON lines as a list."""
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def mismatches(shape: readme.Shape, value: Any, where: str) -> list[str]:
    if isinstance(value, list):
        if not value:
            return [f"{where}: an empty list, so its fields cannot be checked"]
        return [m for k, item in enumerate(value) for m in mismatches(shape, item, f"{where}[{k}]")]
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {value!r}"]
    if shape.mapping:
        return []
    keys = set(value)
    required = {f.name for f in shape.fields if not f.optional}
    allowed = {f.name for f in shape.fields}
    found = []
    if required - keys:
        found.append(f"{where}: documented but not printed: {sorted(required - keys)}")
    if keys - allowed:
        found.append(f"{where}: printed but not documented: {sorted(keys - allowed)}")
    for f in shape.fields:
        inner = value.get(f.name)
        if f.inner is None or inner is None:
            continue
        if f.inner.many != isinstance(inner, list):
            kind = "a list" if f.inner.many else "an object"
            found.append(f"{where}.{f.name}: documented as {kind}, printed {inner!r}")
        elif inner not in ([], {}):
            found += mismatches(f.inner, inner, f"{where}.{f.name}")
    return found


def test_the_readme_has_field_lists() -> None:
    assert not PARSE_ERROR, PARSE_ERROR
    assert len(CASES) >= 5, "the README's JSON field lists were not found (see its conventions)"


@pytest.mark.usefixtures("demo_copy")
@pytest.mark.parametrize(("fields", "command"), CASES, ids=[f"line{f.line}:{c}" for f, c in CASES])
def test_documented_fields_are_the_printed_fields(fields: readme.FieldList, command: str) -> None:
    argv = shlex.split(command)
    assert argv[:2] == ["pm", "--demo"], f"README line {fields.line}: run it on the demo: {command}"
    done = call(*argv[1:])
    assert done.code in (0, 1), f"`{command}` exited {done.code}:\n{done.stderr}"
    problems = mismatches(fields.shape, printed(done.stdout), "output")
    assert not problems, f"README line {fields.line}, `{command}`:\n" + "\n".join(problems)


def test_field_list_syntax() -> None:
    source = (
        "JSON fields of `pm --demo x --json` and `pm --demo y --json`: `a, b?` (a note,\n"
        "`not_a_field`), `c {d, e}`, `f [{g}]`, `m {sector: pct}`, `r [..]`. `h` is not listed.\n"
    )
    (found,) = readme.field_lists(source)
    assert found.commands == ("pm --demo x --json", "pm --demo y --json")
    names = [(f.name, f.optional) for f in found.shape.fields]
    assert names == [("a", 0), ("b", 1), ("c", 0), ("f", 0), ("m", 0), ("r", 0)]
    c, f, m, r = found.shape.fields[2:]
    assert r.inner is None
    assert c.inner == readme.Shape((readme.Field("d"), readme.Field("e")))
    assert f.inner == readme.Shape((readme.Field("g"),), many=True)
    assert m.inner is not None
    assert m.inner.mapping
    printed_ = {"a": 1, "c": {"d": 1}, "f": {"g": 1}, "m": {}, "r": [], "z": 0}
    assert mismatches(found.shape, printed_, "o") == [
        "o: printed but not documented: ['z']",
        "o.c: documented but not printed: ['e']",
        "o.f: documented as a list, printed {'g': 1}",
    ]


def test_field_list_from_a_json_example(tmp_path: Path) -> None:
    source = 'JSON fields of `pm --demo s --json`:\n\n```json\n{"a": 1, "b": {"c": 2}}\n```\n'
    (found,) = readme.field_lists(source)
    assert mismatches(found.shape, {"a": 1, "b": {"c": 2}}, "o") == []
    assert mismatches(found.shape, {"a": 1, "b": {"d": 2}}, "o") != []
