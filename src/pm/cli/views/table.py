"""Tables that fit the terminal: low-priority columns are shortened, then dropped, never cut.

Every table of `pm` is a `FitTable`. Each column has a priority (0: always kept, e.g. symbol,
quantity, value, P/L, ids; higher numbers go first). At the width it is drawn in, the table
first shortens the columns that can be shortened (times to the minute), then drops columns
from the least important on, until every number, symbol and id fits whole; a footer names
what was left out. Only free text (`wrap=True`: messages, notes) may wrap to another line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.text import Text

#: A column of free text is never squeezed below this width (or its longest word).
WRAP_MIN = 24


@dataclass(frozen=True)
class Col:
    """A column: its header, how important it is, and how it may give way."""

    header: str
    priority: int = 0
    right: bool = False
    wrap: bool = False
    short: Callable[[str], str] | None = None  # a shorter form of a cell (its plain text)
    short_note: str = "shortened"


def minute(text: str) -> str:
    """An ISO time to the minute (`2026-11-24T13:31Z`), still ISO 8601 with its Z."""
    return f"{text[:16]}Z" if len(text) > 17 and text.endswith("Z") else text


def time_col(header: str, priority: int) -> Col:
    return Col(header, priority, short=minute, short_note="to the minute")


@dataclass(frozen=True)
class FitTable:
    """A Rich renderable: the table laid out for the width it is printed in."""

    columns: Sequence[Col]
    rows: Sequence[Sequence[str]] = ()  # Rich markup per cell
    title: str | None = None
    notes: Sequence[str] = ()  # lines under the table (e.g. where the data came from)
    box: bool = True

    def layout(self, width: int) -> tuple[list[int], set[int], list[str]]:
        """Which columns to show (indexes), which shortened, and the footer saying so."""
        plain = [[_plain(c) for c in row] for row in self.rows]
        shown = list(range(len(self.columns)))
        shortened: set[int] = set()

        def need() -> int:
            return sum(self._width(i, plain, i in shortened) for i in shown) + self._extra(
                len(shown)
            )

        by_priority = sorted(shown, key=lambda i: (-self.columns[i].priority, -i))
        for i in by_priority:
            if need() <= width:
                break
            if self.columns[i].short is not None:
                shortened.add(i)
        for i in by_priority:
            if need() <= width or self.columns[i].priority == 0:
                break
            shown.remove(i)
            shortened.discard(i)
        for i in sorted(shortened, key=lambda i: (self.columns[i].priority, i)):
            shortened.discard(i)  # room after the drops: show it whole again
            if need() > width:
                shortened.add(i)
        dropped = [self.columns[i].header for i in range(len(self.columns)) if i not in shown]
        footer = []
        if dropped or shortened:
            parts = [f"at {width} columns"]
            if dropped:
                parts.append(f"dropped {', '.join(dropped)}")
            notes: dict[str, list[str]] = {}
            for i in sorted(shortened):
                notes.setdefault(self.columns[i].short_note, []).append(self.columns[i].header)
            parts += [f"{', '.join(names)} {note}" for note, names in notes.items()]
            footer.append(f"{parts[0]}: {'; '.join(parts[1:])}; widen the terminal or use --json")
        return shown, shortened, footer

    def _width(self, i: int, plain: Sequence[Sequence[str]], short: bool) -> int:
        col = self.columns[i]
        cells = [row[i] for row in plain]
        if short and col.short is not None:
            cells = [col.short(c) for c in cells]
        widest = max((_cell_len(c) for c in [col.header, *cells]), default=0)
        if not col.wrap:
            return widest
        longest_word = max(
            (_cell_len(w) for c in [col.header, *cells] for w in c.split()), default=0
        )
        return max(longest_word, min(widest, WRAP_MIN))

    def _extra(self, n: int) -> int:
        """Borders and padding: `│ a │ b │` is 3 per column + 1 boxed, 2 between columns bare."""
        return 3 * n + 1 if self.box else 2 * max(n - 1, 0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.table import Table
        from rich.text import Text

        width = options.max_width
        shown, shortened, footer = self.layout(width)
        if self.box:
            table = Table(title=self.title, title_justify="left")
        else:
            table = Table(
                title=self.title, title_justify="left", box=None, padding=(0, 1), pad_edge=False
            )
        for i in shown:
            col = self.columns[i]
            table.add_column(
                col.header,
                justify="right" if col.right else "left",
                no_wrap=not col.wrap,
                overflow="fold" if col.wrap else "ellipsis",
            )
        for row in self.rows:
            cells = []
            for i in shown:
                col = self.columns[i]
                text = row[i]
                if i in shortened and col.short is not None:
                    text = col.short(_plain(text))
                cells.append(text)
            table.add_row(*cells)
        yield table
        for line in [*self.notes, *footer]:
            yield Text(line, style="dim")


def _plain(markup: str) -> str:
    return _text(markup).plain


def _cell_len(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.splitlines()), default=0)


def _text(markup: str) -> Text:
    from rich.text import Text

    return Text.from_markup(markup)
