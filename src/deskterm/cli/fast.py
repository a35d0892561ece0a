"""The `deskterm` entry point: `search`, which scripts run in loops, answered without click.

click and the command modules cost ~35 ms of the ~90 ms a `deskterm search` took (issue 13's
target: 80). main() reads a search's few options by hand and answers it with the standard
library, the store and its full-text query (~45 ms); anything else it does not know (another
command, --help, a bad value, shell completion) goes to the click application unchanged, which
answers it as before, help texts and errors included. The click command `search` runs the same
function, so both paths print the same.

Both paths check the settings file first (check_settings): every command, whether it reads the
settings or not, stops on a broken one with its file, key and problem.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from deskterm.untrusted import sanitize

if TYPE_CHECKING:
    from deskterm.config import Config
    from deskterm.store import Store

# ANSI codes of the styles the commands use; the same as click.style writes.
STYLES = {"bold": "\x1b[1m", "dim": "\x1b[2m", "red": "\x1b[31m", "yellow": "\x1b[33m"}
RESET = "\x1b[0m"
FORMATS = {"--json": "json", "--jsonl": "jsonl", "--csv": "csv"}


class Search(NamedTuple):
    words: tuple[str, ...]
    limit: int
    best: bool
    fmt: str | None  # a cli.output.Format value; None for text
    db: Path | None


def main() -> None:
    """Run `deskterm` with sys.argv: a plain search here, everything else through click."""
    found = None if "_DESKTERM_COMPLETE" in os.environ else parse_search(sys.argv[1:])
    if found is None:
        from deskterm.cli.main import main as click_main

        click_main()
        return
    check_settings(None)
    search(*found)
    sys.exit(0)


# Where the parser of each section checked at start lives: imported only when the file has that
# section, as importing all six cost every `deskterm list` ~20 ms (the SLA rules most).
SECTIONS = {
    "sla": ("deskterm.sla.settings", "SLA"),
    "keymap": ("deskterm.keys", "KEYMAP"),
    "tui": ("deskterm.views", "TUI"),
    "views": ("deskterm.views", "VIEWS"),
    "metrics": ("deskterm.metrics.settings", "METRICS"),
    "team": ("deskterm.team.roster", "TEAM"),
}


def check_sections(config: Config) -> Config:
    """Validate every section of the file now, so a bad setting stops the start with its file, key
    and problem instead of a later action."""
    # Only the sections the file has: the shipped defaults are known good, and checking them
    # cost every `deskterm list` ~50 ms (the default calendar's bank holidays load `holidays`).
    for name, (module, section) in SECTIONS.items():
        if name in config.raw:
            config.get(getattr(import_module(module), section))
    return config


def check_settings(path: Path | None) -> Config:
    """The settings at `path` (default: $DESKTERM_CONFIG or the user's file), every section
    checked; a broken file exits 2 with its file, key and problem. Without a file: one stat."""
    from deskterm.config import ConfigError, load_config

    try:
        return check_sections(load_config(path))
    except ConfigError as exc:
        fail(str(exc), 2)


def parse_search(args: list[str]) -> Search | None:
    """The search that `args` ask for, when every argument is one this parser knows: the global
    --db, then `search` with words, --limit N, --best, --json, --jsonl, --csv, --db and `--`."""
    db: Path | None = None
    args = list(args)
    while args and args[0] != "search":
        if (db := _db_value(args)) is None:
            return None
    if not args:
        return None
    words: list[str] = []
    limit, best, fmt = 50, False, None
    rest = iter(args[1:])
    for arg in rest:
        if arg == "--":
            words.extend(rest)
        elif arg == "--best":
            best = True
        elif arg in FORMATS:
            fmt = FORMATS[arg]
        elif arg == "--limit" or arg.startswith("--limit="):
            value = arg.partition("=")[2] if "=" in arg else next(rest, "")
            if not (value.isascii() and value.isdigit() and int(value) >= 1):
                return None
            limit = int(value)
        elif arg == "--db" or arg.startswith("--db="):
            path = arg.partition("=")[2] if "=" in arg else next(rest, "")
            if not path:
                return None
            db = Path(path)
        elif arg.startswith("-"):
            return None
        else:
            words.append(arg)
    if not words or not _utf8(args):
        return None
    return Search(tuple(words), limit, best, fmt, db)


def _db_value(args: list[str]) -> Path | None:
    """Take a leading `--db PATH` or `--db=PATH` off `args`; None for anything else."""
    arg = args.pop(0)
    path = arg[len("--db=") :] if arg.startswith("--db=") else None
    if arg == "--db" and args:
        path = args.pop(0)
    return Path(path) if path and not path.startswith("-") else None


def _utf8(args: list[str]) -> bool:
    """False when an argument holds bytes that are not UTF-8: click's path says so in words."""
    try:
        for arg in args:
            arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def search(
    words: tuple[str, ...], limit: int, best: bool, fmt: str | None, db: Path | None
) -> None:
    """Print the tickets whose messages hold `words`: newest match first, or best with `best`."""
    from deskterm.store import StoreError, fulltext

    # 'refund OR damaged' quoted as one argument is three words, as typed unquoted.
    words = tuple(word for argument in words for word in argument.split())
    try:
        hits = fulltext.search(existing_store(db), words, limit=limit, best=best)
    except StoreError as exc:
        fail(str(exc))
    if fmt:
        # Imported here: csv, dataclasses and unicodedata cost the text output ~8 ms.
        from deskterm.cli.output import Format, write_records

        write_records(Format(fmt), hits)
        return
    for hit in hits:
        echo(f"#{hit['id']} [{hit['status']}] {hit['subject']}", style="bold")
        echo("   " + " ".join(hit["snippet"].split()))
    echo(f"{len(hits)} tickets", style="dim")


def existing_store(db: Path | None) -> Store:
    """The store at `db` (default: $DESKTERM_DB or the user data folder), or exit 2 when no
    database is there: a command that only reads never creates one (a mistyped --db, usually)."""
    from deskterm.store import default_db_path, open_store

    path = db if db is not None else default_db_path()
    if not path.expanduser().exists():
        fail(f"no database at {path} (deskterm demo builds one; see --db)", 2)
    return open_store(path)


def echo(text: str = "", *, style: str | None = None, err: bool = False) -> None:
    """One line (or several) of text for people; outside text is cleaned of terminal controls,
    and styled only on a terminal."""
    stream = sys.stderr if err else sys.stdout
    text = sanitize(text)
    if style and stream.isatty():
        text = STYLES[style] + text + RESET
    stream.write(text + "\n")
    stream.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print the reason on stderr, on one line for scripts, and exit with `code`."""
    echo(f"deskterm: {message}", style="red", err=True)
    raise SystemExit(code)
