"""Rows to stdout as they arrive: JSON, JSON Lines, CSV, or a table cut to the terminal.

Nothing waits for the last row: a table is written a page at a time with fixed column widths,
JSON is one array written object by object, so 10,000 tickets cost what one page costs, times
the pages. Standard library only (json, csv); rich's layout took seconds for such lists. click
is imported by the parts that use it: `deskterm search --json` writes through here without it.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from typing import Any

from deskterm.untrusted import sanitize

PAGE = 200  # rows per write


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def format_options(fn: Callable) -> Callable:
    """--json, --jsonl and --csv, given to the command as `fmt`."""
    import click

    for flag, fmt, help_text in (
        ("--csv", Format.CSV, "Print CSV for spreadsheets."),
        ("--jsonl", Format.JSONL, "Print one JSON object per line, as rows arrive."),
        ("--json", Format.JSON, "Print JSON for scripts."),
    ):
        fn = click.option(flag, "fmt", flag_value=fmt, help=help_text)(fn)
    return fn


def _pages(items: Iterable[Any]) -> Iterator[list[Any]]:
    rest = iter(items)
    while page := list(islice(rest, PAGE)):
        yield page


def write_records(fmt: Format, records: Iterable[dict[str, Any]]) -> int:
    """Write `records` as JSON, JSON Lines or CSV (columns: the first record's keys); the count."""
    out = sys.stdout
    count = 0
    writer = None
    if fmt == Format.JSON:
        out.write("[")
    for page in _pages(records):
        if fmt == Format.CSV:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(page[0]), lineterminator="\n")
                writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in r.items()} for r in page)
        elif fmt == Format.JSONL:
            out.write("".join(json.dumps(r) + "\n" for r in page))
        else:
            out.write((", " if count else "") + ", ".join(json.dumps(r) for r in page))
        count += len(page)
        out.flush()
    if fmt == Format.JSON:
        out.write("]\n")
    return count


def _cell(value: Any) -> Any:
    """A CSV cell: lists as space-separated words, None as empty."""
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None else value


def cells(text: str) -> int:
    """Terminal cells `text` takes (East Asian wide characters take two)."""
    if text.isascii():
        return len(text)
    return sum(_char_cells(ch) for ch in text)


def _char_cells(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit(text: str, width: int) -> str:
    """`text` on one line in exactly `width` cells: cut with an ellipsis, or padded."""
    text = " ".join(sanitize(text).split())
    used = cells(text)
    if used <= width:
        return text + " " * (width - used)
    kept, room = [], width - 1
    for ch in text:
        room -= _char_cells(ch)
        if room < 0:
            break
        kept.append(ch)
    line = "".join(kept) + "…"
    return line + " " * (width - cells(line))


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int  # cells; 0: whatever the terminal leaves (one column at most)


def terminal_width() -> int:
    """The terminal's width, $COLUMNS, or 80 when the output is not a terminal."""
    return shutil.get_terminal_size((80, 24)).columns


# A table cell: its text, or its text and a colour.
Cell = str | tuple[str, str]


def write_table(columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> int:
    """Write `rows` under a bold header, a page at a time, each cut to its column; the one
    flexible column takes what the terminal leaves. Returns the row count."""
    import click

    widths = _widths(columns, terminal_width())
    header = "  ".join(fit(c.title, w) for c, w in zip(columns, widths, strict=True))
    click.echo(click.style(header.rstrip(), bold=True))
    count = 0
    for page in _pages(rows):
        lines = (_row_text(row, widths, click.style) for row in page)
        click.echo("\n".join(lines))
        count += len(page)
    return count


def _widths(columns: Sequence[Column], total: int) -> list[int]:
    """Each column's width: the flexible one takes what is left, at least 10 cells; on a narrow
    terminal the widest fixed columns give up cells (down to 4) first."""
    widths = [c.width for c in columns]
    flexible = widths.index(0)
    room = total - 2 * (len(columns) - 1)
    while room - sum(widths) < 10 and max(widths) > 4:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    widths[flexible] = max(room - sum(widths), 10)
    return widths


def _row_text(row: Sequence[Cell], widths: list[int], style: Callable[..., str]) -> str:
    return "  ".join(_cell_text(c, w, style) for c, w in zip(row, widths, strict=True)).rstrip()


def _cell_text(cell: Cell, width: int, style: Callable[..., str]) -> str:
    if isinstance(cell, str):
        return fit(cell, width)
    text, colour = cell
    return style(fit(text, width), fg=colour) if colour else fit(text, width)
