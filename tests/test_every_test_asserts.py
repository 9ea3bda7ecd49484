"""No test without an assertion: every `test_*` function checks something it can fail on.

A test counts as checking when its body (nested functions included) has an `assert`, uses
`pytest.raises` / `pytest.warns` / `pytest.fail`, calls a helper named `assert_*`,
`check_*` or `expect_*`, calls pytest-benchmark's `benchmark`, or calls a function of the
test suite that itself checks (found through the module's own definitions and its
`from tests... import` lines).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PYTEST_CHECKS = {"raises", "warns", "fail", "deprecated_call"}
HELPER_PREFIXES = ("assert_", "check_", "expect_")

Functions = ast.FunctionDef | ast.AsyncFunctionDef


def module_name(path: Path, root: Path) -> str:
    """tests/db/test_x.py -> tests.db.test_x (for `root` = the tests folder)."""
    return ".".join(path.relative_to(root.parent).with_suffix("").parts)


def called_names(node: ast.AST) -> Iterator[str]:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            f = call.func
            if isinstance(f, ast.Name):
                yield f.id
            elif isinstance(f, ast.Attribute):
                base = f.value.id if isinstance(f.value, ast.Name) else ""
                yield f"{base}.{f.attr}" if base else f".{f.attr}"


def checks_directly(node: ast.AST) -> bool:
    if any(isinstance(n, ast.Assert) for n in ast.walk(node)):
        return True
    for name in called_names(node):
        base, _, attr = name.rpartition(".")
        last = attr or name
        if base == "pytest" and last in PYTEST_CHECKS:
            return True
        if last.startswith(HELPER_PREFIXES) or base == "benchmark" or name == "benchmark":
            return True
    return False


class Suite:
    """Every function of every module under tests/, and whether it checks something."""

    def __init__(self, root: Path = TESTS) -> None:
        self.functions: dict[tuple[str, str], Functions] = {}
        self.scopes: dict[str, dict[str, tuple[str, str]]] = {}  # module -> name -> def
        self.trees: dict[str, ast.Module] = {}
        for path in sorted(root.rglob("*.py")):
            module = module_name(path, root)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            self.trees[module] = tree
            scope = self.scopes.setdefault(module, {})
            for node in ast.walk(tree):
                if isinstance(node, Functions):
                    self.functions[(module, node.name)] = node
                    scope.setdefault(node.name, (module, node.name))
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests"):
                    for alias in node.names:
                        scope[alias.asname or alias.name] = (str(node.module), alias.name)
        self.checking = self._fixed_point()

    def _fixed_point(self) -> set[tuple[str, str]]:
        checking = {key for key, fn in self.functions.items() if checks_directly(fn)}
        changed = True
        while changed:
            changed = False
            for key, fn in self.functions.items():
                if key in checking:
                    continue
                scope = self.scopes[key[0]]
                if any(scope.get(name.lstrip(".")) in checking for name in called_names(fn)):
                    checking.add(key)
                    changed = True
        return checking

    def silent_tests(self) -> list[str]:
        return sorted(
            f"{module}::{name} (line {fn.lineno})"
            for (module, name), fn in self.functions.items()
            if name.startswith("test_") and (module, name) not in self.checking
        )


def test_every_test_checks_something() -> None:
    silent = Suite().silent_tests()
    assert not silent, "tests that check nothing (add a real assertion):\n" + "\n".join(silent)


def test_the_rule_tells_a_silent_test_from_a_checking_one(tmp_path: Path) -> None:
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "test_x.py").write_text(
        "import pytest\n"
        "def helper(x):\n    assert x\n"
        "def indirect(x):\n    helper(x)\n"
        "def test_plain():\n    assert 1\n"
        "def test_raises():\n    with pytest.raises(ValueError):\n        int('x')\n"
        "def test_via_helpers():\n    indirect(1)\n"
        "def test_named_helper():\n    check_it()\n"
        "def test_silent():\n    print('ran')\n"
        "def test_only_skips():\n    pytest.skip('later')\n"
    )
    assert Suite(folder).silent_tests() == [
        "tests.test_x::test_only_skips (line 17)",
        "tests.test_x::test_silent (line 15)",
    ]
