"""`deskterm demo`: build the demo shop's workspace and open the workstation on it."""

from __future__ import annotations

from pathlib import Path

import click

from deskterm.cli.common import echo, fail, open_tui, state

DEMO_NOW_HELP = "Reference time of the workspace, e.g. 2026-11-20T12:00:00Z (default: now)."
DEMO_DB_HELP = (
    "Database file to build it in (default: $DESKTERM_DB, else demo.db in the user data folder)."
)


@click.command()
@click.option("--seed", type=int, default=1, help="Same seed and --now, same workspace.")
@click.option("--now", default=None, help=DEMO_NOW_HELP)
@click.option("--no-open", is_flag=True, help="Build the workspace without opening the TUI.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help=DEMO_DB_HELP)
def demo(seed: int, now: str | None, no_open: bool, db: Path | None) -> None:
    """Build a demo shop's workspace (500+ tickets) and open the workstation on it."""
    from deskterm.demo import build_demo
    from deskterm.demo_shop import is_demo_workspace
    from deskterm.domain import from_iso, utcnow

    shared = state(db)
    if not shared.db_named:
        shared.db_path = shared.db_path.with_name("demo.db")
    target = shared.db_path
    if target.exists():
        # Only a file deskterm built as a demo is rebuilt; any other is the user's and stays.
        if not is_demo_workspace(target):
            fail(
                f"{target} is not a demo workspace; deskterm demo never overwrites it"
                " (name another file with --db)",
                2,
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    try:
        moment = from_iso(now) if now else utcnow()
    except ValueError:
        fail(f"--now {now!r} is not a time like 2026-11-20T12:00:00Z", 2)
    try:
        count = build_demo(shared.store(), seed=seed, now=moment)
    except ValueError as exc:
        fail(f"{shared.db_path}: {exc}")
    echo(f"demo workspace: {count} tickets in {shared.db_path}", err=True)
    if not no_open:
        open_tui(shared, sync=True)
