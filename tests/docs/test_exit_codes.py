"""The README's exit-code table is the error map of src/pm/cli/errors.py."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import pkgutil
import re

from typer._click.exceptions import UsageError

import pm
from pm.cli import errors
from pm.domain import errors as domain_errors
from tests.docs import readme


def _error_classes() -> set[type[domain_errors.PmError]]:
    """Every PmError subclass in pm (all modules imported, so none is missed)."""
    for module in pkgutil.walk_packages(pm.__path__, "pm."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return _subclasses(domain_errors.PmError)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _reported(error: BaseException) -> tuple[int, str | None, int | None]:
    """(exit code, `error`, `status_code`) as the CLI reports `error` with --json."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = errors.report(error, as_json=True, debug=False)
    last = stderr.getvalue().strip().splitlines()[-1]
    if not last.startswith("{"):
        return code, None, None
    obj = json.loads(last)
    return code, obj["error"], obj["status_code"]


def code_map() -> dict[int, tuple[set[str], int | None]]:
    """exit code -> (the `error` names reported with it, their status_code) from the code."""
    table: dict[int, tuple[set[str], int | None]] = {
        value: (set(), None)
        for name, value in vars(errors).items()
        if name.startswith("EXIT_") and isinstance(value, int)
    }

    def add(code: int, kind: str | None, status: int | None) -> None:
        kinds, known = table.setdefault(code, (set(), None))
        if kind is not None:
            kinds.add(kind)
            assert known in (None, status), f"exit {code} has two status codes"
            table[code] = (kinds, status)

    for cls in _error_classes():
        exit_code, status = errors.classify(cls.__new__(cls))
        add(exit_code, cls.kind, status)
    for example in (UsageError("no such option"), RuntimeError("a bug"), KeyboardInterrupt()):
        add(*_reported(example))
    return table


def documented() -> dict[int, tuple[set[str], int | None]]:
    rows = readme.first_table(readme.section("Exit codes"))
    header = [cell.strip("`") for cell in rows[0]]
    assert header == ["code", "meaning", "error", "status_code"], header
    table = {}
    for code, _meaning, kinds, status in rows[1:]:
        assert re.fullmatch(r"\d+", code), f"not an exit code: {code}"
        table[int(code)] = (set(readme.spans(kinds)), int(status) if status else None)
    return table


def test_exit_code_table_equals_the_error_map() -> None:
    assert documented() == code_map()
