"""`deskterm team`: share this workspace through PostgreSQL (init, join, add-agent, sync, status,
policy).

Addresses are libpq URLs or key=value strings; a password in one goes to the keyring, and only
the rest is written into the workspace. TLS follows the address's sslmode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from deskterm.cli.common import db_option, echo, fail, state

if TYPE_CHECKING:
    from deskterm.config import Config
    from deskterm.sla.settings import SlaSettings
    from deskterm.store import Store
    from deskterm.sync.engine import AccountReport

T = TypeVar("T")


@click.group(name="team")
def app() -> None:
    """Share one queue with other agents through PostgreSQL, each on a local replica."""


@contextmanager
def _refusals() -> Iterator[None]:
    """The team server's and the keyring's refusals as one line and exit 1."""
    from deskterm.secrets import SecretError
    from deskterm.team.server import TeamError

    try:
        yield
    except (TeamError, SecretError) as exc:
        fail(str(exc))


def _run(fn: Callable[[], T]) -> T:
    with _refusals():
        return fn()


@app.command()
@click.argument("url")
@click.option("--agent", required=True, help="Your agent name; you own the workspace.")
@db_option
def init(url: str, agent: str, db: Path | None) -> None:
    """Create the shared schema at URL (postgresql://ROLE[:PASSWORD]@HOST/DB) and publish this
    workspace to it."""
    from deskterm.sla import clocks
    from deskterm.team import replica

    shared = state(db)
    clocks.use_policies(_my_sla(shared.config))  # published as the team's SLA policy
    pushed = _run(lambda: replica.init(shared.store(), url, agent))
    echo(f"published {pushed} events; agents join with deskterm team join URL --agent NAME")


def _my_sla(config: Config) -> SlaSettings:
    """This machine's SLA settings (its config file's [sla]), or one line and exit 2."""
    from deskterm.config import ConfigError
    from deskterm.sla.settings import SLA

    try:
        return config.get(SLA)
    except ConfigError as exc:
        fail(str(exc), 2)


@app.command()
@click.option("--publish", is_flag=True, help="Make this machine's SLA settings the team's.")
@db_option
def policy(publish: bool, db: Path | None) -> None:
    """Which SLA policy is in force in this team (every replica computes its deadlines with the
    team's, whatever its own settings file says); --publish makes this machine's the team's."""
    from deskterm.team import policy as shared_policy
    from deskterm.team import replica
    from deskterm.team.server import TeamError

    shared = state(db)
    store = shared.store(create=False)
    address = _run(lambda: replica.configured(store))
    mine = _my_sla(shared.config)
    if publish:
        shared_policy.publish(store, mine)
        try:
            conn = replica.open_server(address)
        except TeamError as exc:
            echo(f"published here; it reaches the team with the next sync ({exc})")
        else:
            try:
                _run(lambda: replica.push(store, conn))
            finally:
                conn.close()
    echo(shared_policy.describe(store, mine) or "no SLA policy shared yet: the next sync shares it")


@app.command()
@click.argument("url")
@click.option("--agent", required=True, help="The agent your database role writes as.")
@db_option
def join(url: str, agent: str, db: Path | None) -> None:
    """Make this (empty) workspace a replica of the one at URL."""
    from deskterm.team import replica

    pulled = _run(lambda: replica.join(state(db).store(), url, agent))
    echo(f"joined as {agent}: {pulled} events pulled")


@app.command("add-agent")
@click.argument("role")
@click.argument("agent")
@db_option
def add_agent(role: str, agent: str, db: Path | None) -> None:
    """Let the database ROLE (made by your DBA, with LOGIN) write as AGENT. Run by the owner."""
    from deskterm.team import replica, server

    def add() -> None:
        conn = replica.open_server(replica.configured(state(db).store()))
        try:
            server.migrate(conn)  # the owner brings the server up to this deskterm first
            server.add_agent(conn, role, agent)
        finally:
            conn.close()

    _run(add)
    echo(f"role {role} writes as agent:{agent}")


@app.command()
@click.option("--watch", is_flag=True, help="Keep syncing until interrupted.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.5),
    default=30.0,
    help="Seconds between polls when no notification comes.",
)
@db_option
def sync(watch: bool, interval: float, db: Path | None) -> None:
    """Push what was written here and pull what the others wrote.

    With --watch the desktop hears of what [tui] desktop asks for, as with `deskterm sync --watch`.
    """
    import threading

    from deskterm.notices.watch import watch_with_news
    from deskterm.team import replica

    shared = state(db)
    store = shared.store()

    def once() -> tuple[int, int]:
        conn = replica.open_server(replica.configured(store))
        try:
            return replica.sync_once(store, conn)
        finally:
            conn.close()

    def show(pushed: int, pulled: int) -> None:
        if pushed or pulled or not watch:
            echo(f"{pushed} pushed, {pulled} pulled")

    if not watch:
        show(*_run(once))
        return

    def watch_team(stop: threading.Event) -> None:
        replica.watch(store, stop, poll_s=interval, on_pass=show)

    _run(lambda: watch_with_news(watch_team, shared.db_path, shared.config))


@app.command()
@db_option
def status(db: Path | None) -> None:
    """Which server this replica follows, as whom, and what it has not pushed yet."""
    from deskterm.team import replica

    report = _run(lambda: replica.status(state(db).store(create=False)))
    for key, value in report.items():
        echo(f"{key}: {value}")


def work_once(store: Store) -> list[AccountReport]:
    """`deskterm sync` in a team replica: one pass of the team's worker."""
    from deskterm.team.worker import Worker

    worker = _run(lambda: Worker(store))
    try:
        reports = _run(worker.run_once)
    finally:
        worker.close()
    if not reports:
        echo("no account runs here: none is set up in this replica, or another worker holds it")
    return reports


def work_on(
    store: Store,
    interval: float,
    show: Callable[[AccountReport], None],
    db_path: Path,
    config: Config,
) -> None:
    """`deskterm sync --watch` in a team replica: the team's worker until interrupted, with the
    desktop notifications of `sync --watch`; it takes over the accounts of a worker that stops."""
    import threading

    from deskterm.cli.outbox import settled_call
    from deskterm.notices.watch import watch_with_news
    from deskterm.sync.engine import settle_calls
    from deskterm.team.worker import Worker

    worker = _run(lambda: Worker(store))

    def work(stop: threading.Event) -> None:
        # The refunds and cancels the agents of this machine confirmed, left unfinished by a crash.
        calls = threading.Thread(
            target=settle_calls, args=(db_path, stop, settled_call(False)), daemon=True
        )
        calls.start()
        try:
            worker.watch(stop, interval, on_report=show)
        finally:
            worker.close()
            calls.join(5)

    _run(lambda: watch_with_news(work, db_path, config))


@app.command()
@click.argument("ticket", type=int, required=False)
@click.option("--writing", is_flag=True, help="Say you are writing a reply or note.")
@click.option("--ttl", type=click.IntRange(min=5), default=60, help="Seconds it lasts.")
@db_option
def here(ticket: int | None, writing: bool, ttl: int, db: Path | None) -> None:
    """Show the others you have TICKET open (without TICKET: none, but you are online)."""
    from deskterm.team import presence, replica

    store = state(db).store()

    def announce() -> None:
        conn = replica.open_server(replica.configured(store))
        try:
            presence.announce(conn, store, ticket, "writing" if writing else "viewing", ttl)
        finally:
            conn.close()

    _run(announce)


@app.command()
@db_option
def who(db: Path | None) -> None:
    """Which tickets the other agents have open, and whether they are writing."""
    from deskterm.team import presence, replica

    store = state(db).store(create=False)

    def read() -> dict[int, list[tuple[str, str]]]:
        conn = replica.open_server(replica.configured(store))
        try:
            return presence.others(conn, store)
        finally:
            conn.close()

    for ticket_id, entries in sorted(_run(read).items()):
        echo(f"#{ticket_id}  {presence.describe(entries)}")


@app.command("next")
@click.option("--cap", type=click.IntRange(min=1), default=None, help="Most open tickets you hold.")
@db_option
def take_next(cap: int | None, db: Path | None) -> None:
    """Take the next open ticket nobody has (queue order), unless you hold --cap open already."""
    from deskterm.store import queries
    from deskterm.team import assignment, replica

    store = state(db).store()

    def take() -> int | None:
        conn = replica.open_server(replica.configured(store))
        try:
            return assignment.take_next(store, conn, cap)
        finally:
            conn.close()

    ticket_id = _run(take)
    if ticket_id is None:
        echo("nothing to take: every open ticket has someone")
        return
    ticket = queries.ticket(store, ticket_id)
    echo(f"#{ticket_id} is yours: {ticket.subject if ticket else ''}")
