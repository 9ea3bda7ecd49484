"""The command line read once before click parses it: global options hoisted, --json noticed.

People type global options after the command (`pm snapshot --demo`, `pm positions show AAPL
--demo`); click only accepts them before it. `read` walks the tokens along the command tree
and moves `--demo`, `--timeout N`, `-v`, `--debug` and `--version` to the front, leaving
alone an option's value (`--reason --demo` is a reason), a subcommand's own option of the
same name, and everything after `--`. The same walk says whether `--json` or `--help` was
asked for, so a usage error can still end in the JSON error object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GLOBAL_OPTIONS = frozenset({"demo", "timeout", "verbose", "debug"})  # pm's Options
HOISTED = GLOBAL_OPTIONS | {"version"}  # also allowed after the command
HELP = frozenset({"-h", "--help"})
JSON = frozenset({"--json", "--jsonl"})  # a program reads the output: errors as JSON too


@dataclass(frozen=True, slots=True)
class CommandLine:
    args: list[str]  # with the global options moved in front of the command
    json: bool  # --json or --jsonl was given as an option (not as some option's value)
    help: bool  # -h or --help was given


def _options(command: Any, only: frozenset[str] | None = None) -> dict[str, Any]:
    """Option spelling -> click parameter, for the options of one command."""
    found: dict[str, Any] = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option":
            continue
        if only is not None and param.name not in only:
            continue
        for spelling in (*param.opts, *param.secondary_opts):
            found[spelling.lower()] = param
    return found


def _takes_value(param: Any) -> bool:
    return not (getattr(param, "is_flag", False) or getattr(param, "count", False))


def _short_flags(token: str, options: Mapping[str, Any]) -> bool:
    """`-v`, `-vv`: a cluster of short options that are all flags in `options`."""
    if token.startswith("--") or len(token) < 2:
        return False
    params = [options.get(f"-{letter}".lower()) for letter in token[1:]]
    return all(p is not None and not _takes_value(p) for p in params)


def read(root: Any, argv: Sequence[str]) -> CommandLine:
    """Hoist the root's global options out of `argv`, walking `root`'s command tree."""
    global_options = _options(root, HOISTED)
    front: list[str] = []
    rest: list[str] = []
    command = root
    wants_json = wants_help = False
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            rest.extend(argv[i - 1 :])
            break
        if not token.startswith("-") or token == "-":
            rest.append(token)
            sub = _subcommand(command, token.lower())
            if sub is not None:
                command = sub
            continue
        name, equals, _ = token.partition("=")
        own = _options(command)
        param = own.get(name.lower())
        is_global = command is not root and param is None
        if is_global and name.lower() in global_options:
            param, target = global_options[name.lower()], front
        elif is_global and _short_flags(token, global_options):
            param, target = None, front
        else:
            target = rest
        target.append(token)
        if param is not None and _takes_value(param) and not equals and i < len(argv):
            target.append(argv[i])
            i += 1
        wants_json = wants_json or name.lower() in JSON
        wants_help = wants_help or name.lower() in HELP
    return CommandLine(front + rest, wants_json, wants_help)


def _subcommand(command: Any, name: str) -> Any:
    """The sub-command `name` of `command` (a lazily built group is built now), or None."""
    get = getattr(command, "get_command", None)
    return get(None, name) if get is not None else None
