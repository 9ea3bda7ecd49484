"""Read the README the way the docs tests need it: sections, tables, examples, field lists.

The conventions it reads are written down in the README's Development section:

- the `## Commands` table names commands in its first column as code spans, `pm` then the
  command path (`pm book list|show`, alternatives joined by `|`); a word in capitals or
  starting with `-` is an argument and ends the path;
- the `## Exit codes` table has the columns `code`, `meaning`, `error`, `status_code`;
- a JSON field list is a paragraph starting "JSON fields of `pm --demo ... --json`:",
  followed by code spans naming the fields (`a, b`, `obj {x, y}`, `rows [{x, y}]`,
  `maybe?`; `map {key: value}` is a mapping whose keys are data); text in parentheses is a
  comment. With no code span after the colon, the fields are those of the JSON example or
  the `field` table that follows the paragraph;
- example commands are `$ pm ...` lines in fenced blocks; those starting `$ pm --demo`, and
  those whose comment starts `# runnable`, are run in order on one fresh database; a comment
  starting `# exit N` is the exit code they must give (0 otherwise).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"

_SPAN = re.compile(r"`([^`]+)`")


def text() -> str:
    return README.read_text(encoding="utf-8")


def section(title: str, source: str | None = None) -> str:
    """The body of the `## title` section (up to the next heading of level 2)."""
    body = text() if source is None else source
    m = re.search(rf"^## {re.escape(title)}[ \t]*\n(.*?)(?=^## |\Z)", body, re.M | re.S)
    assert m, f"README has no '## {title}' section"
    return m.group(1)


def first_table(body: str) -> list[list[str]]:
    """The first Markdown table in `body`: its header row, then its rows (cells stripped)."""
    lines = body.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), None)
    assert start is not None, "no table found"
    rows: list[list[str]] = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if all(re.fullmatch(r":?-+:?", c) for c in cells):
            continue  # the separator row
        rows.append([c.replace("\\|", "|") for c in cells])
    return rows


def spans(cell: str) -> list[str]:
    return _SPAN.findall(cell)


def command_paths(cell: str) -> set[tuple[str, ...]]:
    """Command paths named in a Commands-table cell: `pm book list|show X` -> book list, show."""
    paths: set[tuple[str, ...]] = set()
    for span in spans(cell):
        words = span.split()
        if not words or words[0] != "pm":
            continue
        expanded: list[tuple[str, ...]] = [()]
        for word in words[1:]:
            if not re.fullmatch(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*", word):
                break
            expanded = [(*p, alt) for p in expanded for alt in word.split("|")]
        paths.update(p for p in expanded if p)
    return paths


# --- JSON field lists -------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A documented field: its name, whether it may be absent, and what is inside it."""

    name: str
    optional: bool = False
    inner: Shape | None = None


@dataclass(frozen=True)
class Shape:
    """The keys of an object (`fields`), or a mapping whose keys are data (`mapping`)."""

    fields: tuple[Field, ...] = ()
    mapping: bool = False
    many: bool = False  # a list of such objects


@dataclass(frozen=True)
class FieldList:
    commands: tuple[str, ...]
    shape: Shape
    line: int


def _strip_comments(s: str) -> str:
    """Drop parenthesised text outside code spans (it explains a field, it is not one)."""
    out, depth, in_code = [], 0, False
    for ch in s:
        if ch == "`" and depth == 0:
            in_code = not in_code
        elif not in_code and ch == "(":
            depth += 1
            continue
        elif not in_code and ch == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def _split_top(s: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in s:
        depth += (ch in "{[") - (ch in "}]")
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _parse_fields(items: list[str]) -> tuple[Field, ...]:
    fields = []
    for item in items:
        m = re.fullmatch(
            r"([a-z_][a-z0-9_]*)(\?)?\s*(\[\{(.*)\}\]|\{(.*)\}|\[[^\]{]*\])?\s*\??", item, re.S
        )
        assert m, f"not a field: {item!r}"
        name, optional, _, many, one = m.groups()
        inner = None
        if many is not None or one is not None:  # `[..]` alone: a list of plain values
            body = many if many is not None else one
            inner = (
                Shape(mapping=True, many=many is not None)
                if ":" in body
                else Shape(_parse_fields(_split_top(body)), many=many is not None)
            )
        fields.append(Field(name, optional is not None or item.endswith("?"), inner))
    return tuple(fields)


def shape_of_example(value: Any) -> Shape:
    """The shape a JSON example shows: its keys, recursively (lists by their first item)."""
    many = isinstance(value, list)
    obj = value[0] if many and value else value
    assert isinstance(obj, dict), f"a JSON example must be an object or a list of them: {value}"
    fields = []
    for key, inner in obj.items():
        rows = isinstance(inner, list) and bool(inner) and isinstance(inner[0], dict)
        nested = isinstance(inner, dict) or rows
        fields.append(Field(key, inner=shape_of_example(inner) if nested else None))
    return Shape(tuple(fields), many=many)


def _block_after(lines: list[str], i: int) -> tuple[str, str]:
    """The kind ('json' or 'table') and text of the block that follows line i."""
    j = i
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j < len(lines) and lines[j].startswith("```json"):
        end = lines.index("```", j + 1)
        return "json", "\n".join(lines[j + 1 : end])
    if j < len(lines) and lines[j].startswith("|"):
        return "table", "\n".join(lines[j:])
    raise AssertionError(f"README line {i + 1}: a field list with no fields after it")


def field_lists(source: str | None = None) -> list[FieldList]:
    body = text() if source is None else source
    lines = body.splitlines()
    found = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("JSON fields of `"):
            i += 1
            continue
        start = i
        para = []
        while i < len(lines) and lines[i].strip():
            para.append(lines[i])
            i += 1
            if i < len(lines) and lines[i].startswith("JSON fields of `"):
                break
        flat = " ".join(para)
        plain = _strip_comments(flat)
        head, colon, tail = _colon_outside_code(plain)
        assert colon, f"README line {start + 1}: a field list needs a ':' after its commands"
        commands = tuple(s for s in spans(head) if s.startswith("pm "))
        assert commands, f"README line {start + 1}: name the command(s) in code spans"
        tail = _until_sentence_end(tail)
        items = [item for span in spans(tail) for item in _split_top(span)]
        if items:
            shape = Shape(_parse_fields(items))
        else:
            kind, block = _block_after(lines, i)
            if kind == "json":
                shape = shape_of_example(json.loads(block))
            else:
                rows = first_table(block)
                assert rows[0][0] == "field", f"README line {i + 1}: the table needs a field column"
                names = [name for row in rows[1:] for name in spans(row[0])]
                shape = Shape(_parse_fields(names))
        found.append(FieldList(commands, shape, start + 1))
    return found


def _colon_outside_code(s: str) -> tuple[str, str, str]:
    in_code = False
    for k, ch in enumerate(s):
        if ch == "`":
            in_code = not in_code
        elif ch == ":" and not in_code:
            return s[:k], ":", s[k + 1 :]
    return s, "", ""


def _until_sentence_end(s: str) -> str:
    """Up to the first full stop outside code spans (the field list is one sentence)."""
    in_code = False
    for k, ch in enumerate(s):
        if ch == "`":
            in_code = not in_code
        elif ch == "." and not in_code and (k + 1 == len(s) or s[k + 1].isspace()):
            return s[:k]
    return s


# --- examples ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    argv: tuple[str, ...]  # after "pm"
    exit_code: int
    line: int
    source: str


def examples(source: str | None = None) -> list[Example]:
    """The runnable `$ pm ...` lines of fenced blocks, in order; `a && b` gives two."""
    body = text() if source is None else source
    found, fenced = [], False
    for n, line in enumerate(body.splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
            continue
        command, _, comment = line[2:].partition("#")
        comment = comment.strip()
        runnable = line.startswith("$ pm --demo ") or comment.startswith("runnable")
        if not (fenced and line.startswith("$ pm ") and runnable):
            continue
        m = re.match(r"exit (\d+)", comment)
        expected = int(m.group(1)) if m else 0
        parts = [p.strip() for p in command.split("&&")]
        for k, part in enumerate(parts):
            words = shlex.split(part.split("|")[0])
            assert words[0] == "pm", f"README line {n}: {part!r} does not start with pm"
            # only the last of `a && b` can fail: the ones before it must succeed
            code = expected if k == len(parts) - 1 else 0
            found.append(Example(tuple(words[1:]), code, n, line))
    return found
