"""The one terminal (as pypa/hatch's): stdout for data, stderr for people, prompts, formats.

Commands and views never print. A view returns a `Shown`: the record(s) that `--json`,
`--jsonl` and `--csv` write (built by `pm.records`) and the renderable a person sees; the
Terminal writes it in the format the options chose. Warnings, the simulated-account banner,
confirmation prompts, progress bars and the closing error line go to stderr through it.

A command ends with ``app_.terminal.show(view.positions(result))``. A list's view returns
``Shown([records...], FitTable(...), columns=records.COLUMNS, empty="no ...")`` and its
command declares ``JsonOpt, CsvOpt, JsonlOpt`` (cli/options.py); one record takes ``JsonOpt``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

Format = Literal["table", "json", "csv", "jsonl"]

#: Off a terminal Rich would assume 80 columns and squeeze tables; give them this room.
PIPE_WIDTH = 200


@dataclass(frozen=True)
class Shown:
    """What a command shows: records for programs, a renderable for people."""

    data: Any  # one record (a mapping), or a list or generator of records, from pm.records
    # what a person sees: a plain line (str), or a function making a Rich renderable (a
    # FitTable, a Panel, a Text with colour), so that --json never builds it (nor imports Rich)
    human: str | Callable[[], RenderableType]
    columns: Sequence[str] = ()  # the CSV columns of a list (record keys)
    empty: str | None = None  # said on stderr, instead of an empty table, for an empty list
    note: str | None = None  # a line on stderr before the data ("added position 3")
    warnings: Sequence[str] = ()  # said on stderr first (a stale snapshot, a VaR fallback)


class Terminal:
    """Owns both consoles and the output format of this command."""

    def __init__(self) -> None:
        self.format: Format = "table"
        self._flag: str | None = None
        self._kept: list[str] | None = None  # warnings kept, not written (`collecting`)

    # -- the output format -----------------------------------------------------------------

    def choose(self, fmt: Format, flag: str) -> None:
        """Record an output option; two different ones together are a usage error (exit 2)."""
        from typer._click.exceptions import UsageError

        if self._flag is not None and self._flag != flag:
            raise UsageError(f"{self._flag} and {flag} cannot be used together: pick one format")
        self.format, self._flag = fmt, flag

    @property
    def machine(self) -> bool:
        """JSON output was asked for: errors are written as a JSON object too."""
        return self.format in ("json", "jsonl")

    # -- consoles ---------------------------------------------------------------------------

    @cached_property
    def out(self) -> Console:
        """stdout; Rich honours NO_COLOR and drops colour off a terminal."""
        from rich.console import Console

        width = None if _isatty(sys.stdout) or "COLUMNS" in os.environ else PIPE_WIDTH
        return Console(highlight=False, width=width)

    @cached_property
    def err(self) -> Console:
        """stderr; off a terminal (cron mail, a log file) lines are never hard-wrapped."""
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=not _isatty(sys.stderr))

    # -- data -------------------------------------------------------------------------------

    def show(self, shown: Shown) -> None:
        """Write a command's result on stdout in the chosen format."""
        from pm.cli.output import print_csv, print_json, print_jsonl

        for message in shown.warnings:
            self.warn(message)
        if shown.note:
            self.say(shown.note)
        records = shown.data
        if self.format == "json":
            print_json(records)
        elif self.format == "jsonl":
            print_jsonl(records)
        elif self.format == "csv":
            print_csv(shown.columns, (_flat(r) for r in records))
        elif shown.empty and isinstance(records, list) and not records:
            self.say(shown.empty)
        elif isinstance(shown.human, str):  # plain lines of data: as they are, never wrapped
            sys.stdout.write(shown.human + "\n")
            sys.stdout.flush()
        else:
            from rich.text import Text

            human = shown.human()
            # a line of text is data: never hard-wrapped (tables fit themselves)
            self.out.print(human, soft_wrap=isinstance(human, Text))

    def record(self, record: Mapping[str, Any]) -> None:
        """One JSON object on its own line, flushed at once (streams such as `pm watch`)."""
        from pm.cli.output import print_jsonl

        print_jsonl([record])

    # -- stderr -----------------------------------------------------------------------------

    def say(self, text: str) -> None:
        """A plain human line on stderr."""
        if self._stderr_plain(text):
            return
        self.err.print(text, markup=False)

    def tell(self, renderable: RenderableType) -> None:
        """Something for the person on stderr (a plan before its question)."""
        self.err.print(renderable)

    def warn(self, message: str) -> None:
        """A warning on stderr (never stdout, so pipelines stay clean); inside `collecting`,
        kept for the answer instead."""
        if self._kept is not None:
            self._kept.append(message)
            return
        if self._stderr_plain(f"warning: {message}"):
            return
        from rich.text import Text

        self.err.print(Text.assemble(("warning:", "bold yellow"), " ", message))

    @contextmanager
    def collecting(self) -> Iterator[list[str]]:
        """Inside the block warnings are kept, in order, in the list it gives, and not written:
        `pm mcp` returns them with the tool's answer (its stderr is only the server's log)."""
        outer, self._kept = self._kept, []
        try:
            yield self._kept
        finally:
            self._kept = outer

    def simulated_banner(self) -> None:
        """Said once per command that uses the demo account."""
        if self._stderr_plain("SIMULATED demo account: no real money, no broker."):
            return
        self.err.print("[bold magenta]SIMULATED[/] demo account: no real money, no broker.")

    @staticmethod
    def _stderr_plain(line: str) -> bool:
        """Off a terminal a line is written as it is (no colour, no wrapping, no Rich import)."""
        if _isatty(sys.stderr):
            return False
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
        return True

    def status(self, line: str, *, keep: bool) -> None:
        """A status line on stderr: rewritten in place at a terminal unless kept."""
        if _isatty(sys.stderr):
            sys.stderr.write("\r\x1b[2K" + line + ("\n" if keep else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def error(
        self,
        message: str,
        payload: Mapping[str, Any] | None = None,
        *,
        scrub: Callable[[str], str] = lambda s: s,
    ) -> None:
        """The closing error: one line for a person, or the JSON object for a program."""
        from pm.cli.output import json_text

        text = json_text(payload) if payload is not None else f"error: {message}"
        sys.stderr.write(scrub(text) + "\n")
        sys.stderr.flush()

    def debug_text(self, text: str) -> None:
        """Raw text on stderr (a traceback with --debug)."""
        sys.stderr.write(text)

    # -- questions and progress -------------------------------------------------------------

    def confirm(self, question: str, *, yes: bool, what: str) -> None:
        """Go ahead with --yes; ask at a terminal (default no); refuse (exit 2) otherwise."""
        from pm.cli.confirm import NotConfirmed, stdin_is_terminal

        if yes:
            return
        if not stdin_is_terminal():
            raise NotConfirmed(
                f"{what}: refusing without --yes because stdin is not a terminal. Nothing was sent."
            )
        from rich.prompt import Confirm

        try:
            agreed = Confirm.ask(question, console=self.err, default=False)
        except EOFError:  # stdin closed at the question: that is not a yes
            agreed = False
        if not agreed:
            raise NotConfirmed(f"{what}: not confirmed. Nothing was sent.")

    @contextmanager
    def progress(self, label: str, threshold: int) -> Iterator[Callable[[int, int], None] | None]:
        """A progress callback drawing a bar on stderr, only at a terminal and for large work."""
        if not _isatty(sys.stderr):
            yield None
            return
        from rich.progress import Progress

        bar: dict[str, Any] = {}

        def report(done: int, total: int) -> None:
            if total < threshold:
                return
            if not bar:
                bar["bar"] = Progress(console=self.err, transient=True)
                bar["bar"].start()
                bar["task"] = bar["bar"].add_task(label, total=total)
            bar["bar"].update(bar["task"], completed=done)

        try:
            yield report
        finally:
            if bar:
                bar["bar"].stop()

    # -- logging ----------------------------------------------------------------------------

    @staticmethod
    def log_level(configured: str, *, verbose: int, debug: bool, fmt: str | None) -> str:
        """The log level for this run: each event is said once.

        At a terminal the command's output says what happened (breaches, conflicts, outages,
        the error line); the same events as log lines would repeat it, so at the default
        level the console shows log lines only with -v (or --debug). Off a terminal (JSON
        log lines for cron mail and log files) the level is as set.
        """
        if debug:
            return "debug"
        if verbose:
            if configured in ("warning", "error", "critical"):
                return "info" if verbose == 1 else "debug"
            return configured
        console = fmt == "console" or (fmt is None and _isatty(sys.stderr))
        return "critical" if console and configured == "warning" else configured


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced
        return False


def _flat(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A record as a CSV row: the nested `source` becomes its type (live, simulated, stale)."""
    source = record.get("source")
    if isinstance(source, Mapping):
        return {**record, "source": source.get("type")}
    return record
