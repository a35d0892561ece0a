"""What leaves and arrives: `deskterm outbox` (list, retry, cancel) and `deskterm sync`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deskterm.cli.common import (
    as_option,
    db_option,
    echo,
    json_option,
    print_json,
    run_action,
    state,
)
from deskterm.notices.watch import interrupted_by_signals, notify_until

if TYPE_CHECKING:
    from deskterm.config import Config
    from deskterm.connector_calls import Call
    from deskterm.sync.engine import AccountReport, Watcher


@click.command()
@click.option("--watch", is_flag=True, help="Keep syncing until interrupted.")
@click.option("--account", multiple=True, help="Only this account (repeatable).")
@click.option(
    "--interval", type=click.FloatRange(min=1), default=30.0, help="Seconds between polls."
)
@json_option
@db_option
def sync(
    watch: bool, account: tuple[str, ...], interval: float, as_json: bool, db: Path | None
) -> None:
    """Pull new messages and send queued replies for every account (in a team replica: for each
    account no other worker holds, with the replies any agent queued on them).

    Exits 1 when an account fails or a reply is refused. --json prints one JSON list of the
    accounts' reports (with --watch, one report per line as each account finishes). With --watch
    the desktop hears of what [tui] desktop asks for, as in the workstation.
    """
    from deskterm.store import team as team_rows
    from deskterm.sync import engine

    shared = state(db)

    def show(report: AccountReport) -> None:
        from dataclasses import asdict

        if as_json:
            print_json(asdict(report))
        elif report.error:
            echo(f"{report.account}: {report.state}: {report.error}", style="red", err=True)
        else:
            echo(
                f"{report.account}: {report.pulled} new, {report.sent} sent"
                + (f", {report.failed} failed" if report.failed else "")
            )

    store = shared.store()
    # A team replica's accounts run in the team's worker, one worker per account at a time.
    in_team = team_rows.meta_get(store.conn, team_rows.TEAM_URL) is not None
    if not watch:
        if in_team:
            from deskterm.cli.team import work_once

            reports = work_once(store)
        else:
            reports = engine.run_once(store, only=list(account) or None)
        if as_json:
            from dataclasses import asdict

            print_json([asdict(report) for report in reports])
        else:
            for report in reports:
                show(report)
        # A refused reply fails the run as a broken account does: scripts and cron notice both.
        if any(r.error or r.failed for r in reports):
            raise click.exceptions.Exit(1)
        return
    if in_team:
        from deskterm.cli.team import work_on

        work_on(store, interval, show, shared.db_path, shared.config)
        return
    watcher = engine.Watcher(
        shared.db_path, interval=interval, on_report=show, on_call=settled_call(as_json)
    )
    watch_here(watcher, shared.config)


def watch_here(watcher: Watcher, config: Config) -> None:
    """`deskterm sync --watch` outside a team: every account synced on this machine, with the
    desktop notifications, until Ctrl-C or SIGTERM."""
    with interrupted_by_signals():
        try:
            watcher.start()
            notify_until(watcher.stop_event, watcher.db_path, config)
        except KeyboardInterrupt:
            watcher.stop()


def settled_call(as_json: bool) -> Callable[[Call], None]:
    """How `sync --watch` tells of a connector call it settled (one a crash left unfinished)."""

    def show(call: Call) -> None:
        if as_json:
            print_json({"call": call.id, "ticket": call.ticket_id, "status": call.status})
        else:
            echo(call.summary, style=None if call.status == "done" else "red")

    return show


@click.group(invoke_without_command=True)
@click.option("--all", "everything", is_flag=True, help="Include sent and cancelled.")
@json_option
@db_option
@click.pass_context
def outbox(ctx: click.Context, everything: bool, as_json: bool, db: Path | None) -> None:
    """Replies on their way out: list them, retry a failed one, cancel one that has not left.

    Without a command, list replies not sent yet (queued, sending, failed).
    """
    if ctx.invoked_subcommand is not None:
        return
    from deskterm.store import queries
    from deskterm.store.team import held_reason

    items = queries.outbox(state(db).store(create=False), everything=everything)
    if as_json:
        from dataclasses import asdict

        print_json([asdict(item) for item in items])
        return
    for item in items:
        held = held_reason(item.last_error) if item.status == "failed" else None
        status = "held" if held else item.status
        echo(
            f"{item.id:>5}  #{item.ticket_id:<6} {status:<9} {item.recipient}  {item.subject}",
            style="red" if item.status == "failed" else None,
        )
        if held:
            # As the ticket's banner says it: the team server held it, its author decides.
            echo(f"       needs attention: {held}", style="yellow")
            echo(
                f"       send it anyway: deskterm outbox retry {item.id};"
                f" drop it: deskterm outbox cancel {item.id}",
                style="dim",
            )
        elif item.last_error:
            echo(f"       {item.last_error}", style="dim")
    echo(f"{len(items)} replies", style="dim")


item_arg = click.argument("item", metavar="ITEM", type=int)


@outbox.command("retry")
@item_arg
@as_option
@db_option
def outbox_retry(item: int, agent: str | None, db: Path | None) -> None:
    """Send a failed reply again with the next sync.

    ITEM: outbox item number.
    """
    from deskterm import actions

    shared = state(db)
    run_action(
        lambda: actions.retry_send(shared.store(), item, actor=shared.actor(agent)),
        f"outbox item {item} will be sent with the next sync",
        False,
    )


@outbox.command("cancel")
@item_arg
@as_option
@db_option
def outbox_cancel(item: int, agent: str | None, db: Path | None) -> None:
    """Stop a reply that has not left (its text stays in the ticket's history).

    ITEM: outbox item number.
    """
    from deskterm import actions

    shared = state(db)
    run_action(
        lambda: actions.cancel_send(shared.store(), item, actor=shared.actor(agent)),
        f"outbox item {item} cancelled",
        False,
    )
