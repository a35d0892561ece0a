"""The `deskterm` command: parse, call a service, print (rich for people, --json for scripts).

Commands that do not draw the TUI never import Textual, so scripts start fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from deskterm import actions, mailbox
from deskterm.cli.common import DbOption, JsonOption, err, fail, out
from deskterm.cli.macros import app as macro_app
from deskterm.cli.sla import app as sla_app
from deskterm.config import Config, ConfigError, load_config
from deskterm.connectors.email.cli import account_app, import_app
from deskterm.domain import from_iso, to_iso, utcnow
from deskterm.durations import WhenError, parse_when
from deskterm.store import Store, StoreError, default_db_path, open_store, queries
from deskterm.store.filters import FilterError, parse

app = typer.Typer(
    name="deskterm",
    help="A terminal workstation for e-commerce customer support.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)

AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Act as this agent (default: [agent] name in the config)."),
]


class Context:
    """What every command shares: the settings and, opened on first use, the store."""

    def __init__(self, db: Path | None, config_path: Path | None) -> None:
        self.db_path = db or default_db_path()
        self.config_path = config_path
        self._config: Config | None = None
        self._store: Store | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db_path)
        return self._store

    def actor(self, agent: str | None) -> str:
        return f"agent:{agent or os.environ.get('DESKTERM_AGENT') or self.config.agent}"


def ctx_of(ctx: typer.Context, db: Path | None = None) -> Context:
    state: Context = ctx.obj
    if db is not None:
        state.db_path = db
    return state


def run_action(fn: Callable[[], actions.Done], what: str, as_json: bool) -> None:
    try:
        done = fn()
    except actions.ActionError as exc:
        fail(str(exc))
    if as_json:
        out.print_json(json.dumps(asdict(done)))
    else:
        out.print(what)


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: DbOption = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Settings file (default: $DESKTERM_CONFIG).")
    ] = None,
    no_sync: Annotated[
        bool, typer.Option("--no-sync", help="Open the TUI without syncing accounts.")
    ] = False,
) -> None:
    """Without a command, open the workstation on the queue."""
    ctx.obj = Context(db, config)
    if ctx.invoked_subcommand is None:
        _open_tui(ctx.obj, sync=not no_sync)


def _open_tui(state: Context, *, sync: bool) -> None:
    # Textual costs ~150 ms to import; only the TUI pays for it.
    from deskterm.tui.app import run

    run(state.db_path, state.config, sync=sync)


def _ticket_json(row: queries.QueueRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "subject": row.subject,
        "status": row.status,
        "priority": row.priority,
        "channel": row.channel,
        "account": row.account,
        "customer": row.customer,
        "assignee": row.assignee,
        "escalation": row.escalation,
        "tags": row.tag_list,
        "next_deadline": row.next_deadline,
        "sla_state": row.sla_state,
        "snoozed_until": row.snoozed_until,
        "created_at": row.created_at,
        "last_message_at": row.last_message_at,
    }


@app.command("list")
def list_tickets(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help="Search terms, e.g. 'status:open channel:ebay tag:wismo'.")
    ] = "",
    sort: Annotated[queries.Sort, typer.Option(help="Order of the list.")] = queries.Sort.DEADLINE,
    limit: Annotated[int, typer.Option(min=1, help="At most this many tickets.")] = 10_000,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List tickets in queue order; 'is:active' keeps to the unsolved ones, as the queue does."""
    state = ctx_of(ctx, db)
    try:
        flt = parse(query, me=state.config.agent, active_only=False)
    except FilterError as exc:
        fail(str(exc), 2)
    now = utcnow()
    rows: list[queries.QueueRow] = []
    after = None
    while len(rows) < limit:
        page = queries.queue_page(
            state.store(), flt, now, sort=sort, limit=min(500, limit - len(rows)), after=after
        )
        rows.extend(page)
        if len(page) < 500:
            break
        after = page[-1].key
    if as_json:
        out.print_json(json.dumps([_ticket_json(r) for r in rows]))
        return
    table = Table(box=None, pad_edge=False)
    widths = {"#": 5, "due": 11, "pri": 6, "channel": 7, "customer": 14, "status": 7, "assignee": 8}
    subject_width = max(out.width - sum(widths.values()) - 2 * len(widths), 10)
    for column in ("#", "due", "pri", "channel", "customer", "subject", "status", "assignee"):
        width = widths.get(column, subject_width)
        table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=width)
    for r in rows:
        due = r.next_deadline[5:16].replace("T", " ") if r.next_deadline else ""
        table.add_row(
            str(r.id),
            Text(due, style="red" if r.sla_state == "breached" else ""),
            r.priority,
            r.channel,
            Text(r.customer),
            Text(r.subject),
            r.status,
            r.assignee or "",
        )
    out.print(table)
    out.print(f"{len(rows)} tickets", style="dim")


@app.command()
def show(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show a ticket with its messages and events."""
    store = ctx_of(ctx, db).store()
    found = queries.ticket(store, ticket_id)
    if found is None:
        fail(f"there is no ticket #{ticket_id}")
    thread = queries.messages(store, ticket_id)
    history = queries.events(store, ticket_id)
    if as_json:
        out.print_json(json.dumps({"ticket": found, "messages": thread, "events": history}))
        return
    mailbox.mark_read(store, ticket_id)  # a person reads it (a script's --json does not count)
    out.print(Text(f"#{found['id']} {found['subject']}", style="bold"))
    out.print(
        Text(
            f"{found['status']} · {found['priority']} · {found['channel']} · "
            f"{found['customer_name']} · assignee {found['assignee'] or '-'} · "
            f"tags {' '.join(found['tags']) or '-'}"
        )
    )
    for message in thread:
        who = {"in": message["author_name"] or message["author_addr"], "note": "note"}.get(
            message["direction"], f"reply by {message['author_name']}"
        )
        out.rule(Text(f"{who} · {message['sent_at']}"), align="left")
        out.print(Text(message["text"]))


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[list[str], typer.Argument(help="Words to find in any message.")],
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Full-text search over every message, any status."""
    hits = queries.search(ctx_of(ctx, db).store(), tuple(query), limit=limit)
    if as_json:
        out.print_json(json.dumps(hits))
        return
    for hit in hits:
        out.print(Text(f"#{hit['id']} [{hit['status']}] {hit['subject']}", style="bold"))
        out.print(Text("   " + " ".join(hit["snippet"].split())))
    out.print(f"{len(hits)} tickets", style="dim")


def _read_body(body: str | None, editor: bool) -> str:
    if body is not None and not editor:
        return body
    if not editor:
        if sys.stdin.isatty():
            fail("give the text with --body, --editor or on standard input", 2)
        return sys.stdin.read()
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w+", suffix=".md", delete=False) as handle:
        handle.write(body or "")
        path = Path(handle.name)
    try:
        subprocess.run([*command.split(), str(path)], check=True)
        return path.read_text(encoding="utf-8")
    except (OSError, subprocess.CalledProcessError) as exc:
        fail(f"the editor {command!r} failed: {exc}")
    finally:
        path.unlink(missing_ok=True)


BodyOption = Annotated[str | None, typer.Option("--body", help="The text (else stdin).")]
EditorOption = Annotated[bool, typer.Option("--editor", help="Write the text in $EDITOR.")]
IdArg = Annotated[int, typer.Argument(metavar="ID")]


@app.command()
def reply(
    ctx: typer.Context,
    ticket_id: IdArg,
    body: BodyOption = None,
    editor: EditorOption = False,
    attach: Annotated[
        list[Path] | None, typer.Option("--attach", help="Attach a file (repeatable).")
    ] = None,
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Queue a reply to the customer; it leaves with the next sync."""
    from deskterm.store.attachments import AttachmentError, attach_file

    state = ctx_of(ctx, db)
    text = _read_body(body, editor)
    try:
        files = [attach_file(path) for path in attach or ()]
    except AttachmentError as exc:
        fail(str(exc), 2)
    run_action(
        lambda: actions.reply(
            state.store(), ticket_id, text, actor=state.actor(agent), attachments=files
        ),
        f"reply queued on #{ticket_id}"
        + (f" with {len(files)} attachment{'s' * (len(files) > 1)}" if files else ""),
        as_json,
    )


@app.command()
def note(
    ctx: typer.Context,
    ticket_id: IdArg,
    body: BodyOption = None,
    editor: EditorOption = False,
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Add an internal note (never sent)."""
    state = ctx_of(ctx, db)
    text = _read_body(body, editor)
    run_action(
        lambda: actions.note(state.store(), ticket_id, text, actor=state.actor(agent)),
        f"note added to #{ticket_id}",
        as_json,
    )


@app.command()
def status(
    ctx: typer.Context,
    ticket_id: IdArg,
    value: Annotated[str, typer.Argument(metavar="STATUS", help="open, pending, on_hold, ...")],
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Set a ticket's status."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.set_status(state.store(), ticket_id, value, actor=state.actor(agent)),
        f"#{ticket_id} is now {value}",
        as_json,
    )


@app.command()
def resolve(
    ctx: typer.Context,
    ticket_id: IdArg,
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Mark a ticket solved."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.resolve(state.store(), ticket_id, actor=state.actor(agent)),
        f"#{ticket_id} solved",
        as_json,
    )


@app.command()
def reopen(
    ctx: typer.Context,
    ticket_id: IdArg,
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Reopen a solved ticket."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.reopen(state.store(), ticket_id, actor=state.actor(agent)),
        f"#{ticket_id} reopened",
        as_json,
    )


@app.command()
def escalate(
    ctx: typer.Context,
    ticket_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it needs the next level.")],
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Raise a ticket to the next escalation level."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.escalate(
            state.store(),
            ticket_id,
            reason,
            actor=state.actor(agent),
            levels=state.config.escalation_levels,
        ),
        f"#{ticket_id} escalated",
        as_json,
    )


@app.command()
def assign(
    ctx: typer.Context,
    ticket_id: IdArg,
    assignee: Annotated[str, typer.Argument(help="Agent name, 'me', or 'none'.")],
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Assign a ticket to an agent ('none' unassigns)."""
    state = ctx_of(ctx, db)
    actor = state.actor(agent)
    who = {"me": actor.partition(":")[2], "none": None}.get(assignee, assignee)
    run_action(
        lambda: actions.assign(state.store(), ticket_id, who, actor=actor),
        f"#{ticket_id} assigned to {who or 'nobody'}",
        as_json,
    )


@app.command()
def tag(
    ctx: typer.Context,
    ticket_id: IdArg,
    tags: Annotated[list[str], typer.Argument(metavar="TAG...")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove the tags instead.")] = False,
    agent: AsOption = None,
    db: DbOption = None,
) -> None:
    """Add (or with --remove, remove) tags; each tag is one action."""
    state = ctx_of(ctx, db)
    fn = actions.untag if remove else actions.tag
    for name in tags:
        run_action(
            lambda name=name: fn(state.store(), ticket_id, name, actor=state.actor(agent)),
            f"#{ticket_id} {'untagged' if remove else 'tagged'} {name}",
            False,
        )


@app.command()
def snooze(
    ctx: typer.Context,
    ticket_id: IdArg,
    until: Annotated[
        str, typer.Argument(help="4h, tomorrow, monday, next week, 2026-12-01 09:00, or 'off'.")
    ],
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Hide a ticket from the queue until a moment; its clocks pause meanwhile."""
    state = ctx_of(ctx, db)
    now = utcnow()
    if until == "off":
        moment = None
    else:
        try:
            moment = parse_when(until, now, datetime.now().astimezone().tzinfo)
        except WhenError as exc:
            fail(str(exc), 2)
    run_action(
        lambda: actions.snooze(state.store(), ticket_id, moment, actor=state.actor(agent), at=now),
        f"#{ticket_id} snoozed until {to_iso(moment)}" if moment else f"#{ticket_id} woken",
        as_json,
    )


@app.command()
def priority(
    ctx: typer.Context,
    ticket_id: IdArg,
    level: Annotated[str, typer.Argument(help="low, normal, high or urgent.")],
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Set a ticket's priority."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.set_priority(state.store(), ticket_id, level, actor=state.actor(agent)),
        f"#{ticket_id} priority {level}",
        as_json,
    )


@app.command()
def merge(
    ctx: typer.Context,
    source: Annotated[int, typer.Argument(metavar="FROM")],
    target: Annotated[int, typer.Argument(metavar="INTO")],
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Merge ticket FROM into ticket INTO (same customer)."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.merge(state.store(), source, target, actor=state.actor(agent)),
        f"#{source} merged into #{target}",
        as_json,
    )


@app.command()
def undo(
    ctx: typer.Context,
    agent: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Undo your last action (a reply only while it has not left)."""
    state = ctx_of(ctx, db)
    run_action(lambda: actions.undo(state.store(), actor=state.actor(agent)), "undone", as_json)


@app.command()
def sync(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option("--watch", help="Keep syncing until interrupted.")] = False,
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only this account (repeatable).")
    ] = None,
    interval: Annotated[float, typer.Option(min=1, help="Seconds between polls.")] = 30.0,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Pull new messages and send queued replies for every account."""
    from deskterm.sync import engine

    state = ctx_of(ctx, db)

    def show(report: engine.AccountReport) -> None:
        if as_json:
            out.print_json(json.dumps(asdict(report)))
        elif report.error:
            err.print(Text(f"{report.account}: {report.state}: {report.error}", style="red"))
        else:
            out.print(
                f"{report.account}: {report.pulled} new, {report.sent} sent"
                + (f", {report.failed} failed" if report.failed else "")
            )

    if not watch:
        reports = engine.run_once(state.store(), only=account)
        for report in reports:
            show(report)
        if any(r.error for r in reports):
            raise typer.Exit(1)
        return
    watcher = engine.Watcher(state.db_path, interval=interval, on_report=show)
    watcher.start()
    try:
        watcher.stop_event.wait()
    except KeyboardInterrupt:
        watcher.stop()


outbox_app = typer.Typer(
    name="outbox",
    help="Replies on their way out: list them, retry a failed one, cancel one that has not left.",
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(outbox_app, name="outbox")


@outbox_app.callback(invoke_without_command=True)
def outbox_list(
    ctx: typer.Context,
    everything: Annotated[bool, typer.Option("--all", help="Include sent and cancelled.")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List replies not sent yet (queued, sending, failed)."""
    if ctx.invoked_subcommand is not None:
        return
    items = queries.outbox(ctx_of(ctx, db).store(), everything=everything)
    if as_json:
        out.print_json(json.dumps(items))
        return
    for item in items:
        style = "red" if item["status"] == "failed" else ""
        out.print(
            Text(
                f"{item['id']:>5}  #{item['ticket_id']:<6} {item['status']:<9} "
                f"{item['recipient']}  {item['subject']}",
                style=style,
            )
        )
        if item["last_error"]:
            out.print(Text(f"       {item['last_error']}", style="dim"))
    out.print(f"{len(items)} replies", style="dim")


@outbox_app.command("retry")
def outbox_retry(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(metavar="ITEM", help="Outbox item number.")],
    agent: AsOption = None,
    db: DbOption = None,
) -> None:
    """Send a failed reply again with the next sync."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.retry_send(state.store(), item, actor=state.actor(agent)),
        f"outbox item {item} will be sent with the next sync",
        False,
    )


@outbox_app.command("cancel")
def outbox_cancel(
    ctx: typer.Context,
    item: Annotated[int, typer.Argument(metavar="ITEM", help="Outbox item number.")],
    agent: AsOption = None,
    db: DbOption = None,
) -> None:
    """Stop a reply that has not left (its text stays in the ticket's history)."""
    state = ctx_of(ctx, db)
    run_action(
        lambda: actions.cancel_send(state.store(), item, actor=state.actor(agent)),
        f"outbox item {item} cancelled",
        False,
    )


DEMO_NOW_HELP = "Reference time of the workspace, e.g. 2026-11-20T12:00:00Z (default: now)."


@app.command()
def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Same seed and --now, same workspace.")] = 1,
    now: Annotated[str | None, typer.Option("--now", help=DEMO_NOW_HELP)] = None,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Build the workspace without opening the TUI.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Build a demo shop's workspace (500+ tickets) and open the workstation on it."""
    from deskterm.demo import build_demo

    state = ctx_of(ctx)
    if db is None:
        state.db_path = state.db_path.with_name("demo.db")
        # The default demo file is ours to rebuild; a file the user names is never overwritten.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state.db_path}{suffix}").unlink(missing_ok=True)
    else:
        state.db_path = db
    try:
        moment = from_iso(now) if now else utcnow()
    except ValueError:
        fail(f"--now {now!r} is not a time like 2026-11-20T12:00:00Z", 2)
    try:
        count = build_demo(state.store(), seed=seed, now=moment)
    except ValueError as exc:
        fail(f"{state.db_path}: {exc}")
    err.print(f"demo workspace: {count} tickets in {state.db_path}")
    if not no_open:
        _open_tui(state, sync=True)


app.add_typer(macro_app, name="macro")
app.add_typer(sla_app, name="sla")
app.add_typer(account_app, name="account")
app.add_typer(import_app, name="import")


def main() -> None:
    try:
        app()
    except (StoreError, ConfigError) as exc:
        err.print(Text(f"deskterm: {exc}", style="red"), soft_wrap=True)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
