"""Presence in the workstation, against a real PostgreSQL: ben's queue and ticket header show who
else has a ticket open, and what ben opens and types in reaches the others."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from deskterm import actions
from deskterm.config import Config
from deskterm.domain import utcnow
from deskterm.store import Store
from deskterm.store import team as rows
from deskterm.team import presence, replica
from deskterm.tui.app import DeskApp, make_app
from tests.unit.test_automation import ingest, rules_of

from .postgres import Postgres
from .teams import Team, ticket_of

pytestmark = pytest.mark.integration


async def until(pilot: Pilot, ready: Callable[[], bool], seconds: float = 15.0) -> None:
    """Let the app run until `ready()` (the beacon works on its own thread)."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, "the screen never showed it"
        await pilot.pause(0.05)


def queue_text(app: DeskApp) -> str:
    view = app.screen.queue
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


def header_text(app: DeskApp) -> str:
    return str(app.screen.query_one("#ticket-title").render())


def team_of_two(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> Store:
    deliver(
        make_message(subject="Where is my parcel"), make_message(subject="Refund for order 1001")
    )
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    return team.join("ben")


def bens_desk(ben: Store) -> DeskApp:
    return make_app(ben.path, Config(agent="ben"), sync=False)


def on_server(store: Store, read: Callable) -> Any:
    """What `read(connection)` finds on the team server, as the agent of `store`."""
    conn = replica.open_server(replica.configured(store))
    try:
        return read(conn)
    finally:
        conn.close()


def others_seen_by(store: Store) -> dict[int, list[tuple[str, str]]]:
    return on_server(store, lambda conn: presence.others(conn, store))


def online_per(store: Store) -> list[str]:
    return on_server(store, presence.online)


async def test_ben_sees_in_the_queue_and_the_header_that_anna_writes_on_a_ticket(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    ben = team_of_two(postgres, tmp_path, store, deliver, make_message)
    parcel = ben.conn.execute("SELECT id FROM tickets WHERE subject LIKE 'Where%'").fetchone()[0]
    anna = replica.open_server(replica.configured(store))
    app = bens_desk(ben)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            presence.announce(anna, store, 1, "writing")
            await until(pilot, lambda: "✎AN Where is my parcel" in queue_text(app))
            assert "◉" not in queue_text(app) and "AN Refund" not in queue_text(app)
            app.screen.queue.move_to(app.screen.queue.source.index_of(parcel) or 0)
            await pilot.press("enter")
            await until(pilot, lambda: "anna is writing" in header_text(app))
            presence.announce(anna, store, None)  # anna closes it: gone at once, not on expiry
            await until(pilot, lambda: "anna is" not in header_text(app))
            await pilot.press("escape")
            await until(pilot, lambda: "✎AN" not in queue_text(app))
    finally:
        anna.close()
        ben.close()


async def test_what_ben_opens_and_types_in_reaches_anna_and_goes_when_he_quits(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    ben = team_of_two(postgres, tmp_path, store, deliver, make_message)
    gid = store.conn.execute("SELECT gid FROM tickets WHERE id = 2").fetchone()[0]
    mine = ticket_of(ben, gid)
    app = bens_desk(ben)

    def anna_sees() -> list[tuple[str, str]]:
        return others_seen_by(store).get(2, [])

    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await app.open_ticket(mine)
            await until(pilot, lambda: anna_sees() == [("ben", "viewing")])
            await pilot.press("r", "h", "i")
            await until(pilot, lambda: anna_sees() == [("ben", "writing")])
            await pilot.press("escape")  # the composer closes, the draft stays
            await until(pilot, lambda: anna_sees() == [("ben", "viewing")])
            await pilot.press("escape")
            await until(pilot, lambda: anna_sees() == [])
            await app.open_ticket(mine)
            await until(pilot, lambda: anna_sees() == [("ben", "viewing")])
            assert online_per(store) == ["ben"]  # anna has no workstation open
        assert others_seen_by(store) == {} and online_per(store) == []  # quitting withdrew it
    finally:
        ben.close()


def sessions_of(postgres: Postgres, team: Team, agent: str) -> int:
    """How many connections the agent's role holds to the team's database now."""
    with postgres.admin() as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND datname = %s",
            (team.roles[agent], team.db),
        ).fetchone()
    return int(found[0]) if found else 0


async def test_a_syncing_workstation_holds_one_connection_for_its_sync_and_its_presence(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    deliver(make_message(subject="Where is my parcel"))
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    gid = store.conn.execute("SELECT gid FROM tickets WHERE id = 1").fetchone()[0]
    anna = replica.open_server(replica.configured(store))
    app = make_app(ben.path, Config(agent="ben"), sync=True)
    try:
        assert sessions_of(postgres, team, "ben") == 0
        async with app.run_test(size=(120, 30)) as pilot:
            # Presence comes and goes through the sync's connection ...
            presence.announce(anna, store, 1, "writing")
            await until(pilot, lambda: "✎AN Where is my parcel" in queue_text(app))
            await app.open_ticket(ticket_of(ben, gid))
            await until(pilot, lambda: others_seen_by(store).get(1) == [("ben", "viewing")])
            # ... while it syncs: anna's note reaches ben's replica.
            actions.note(store, 1, "I called them", actor="agent:anna")
            team.sync(store)
            await until(pilot, lambda: _has_note(ben, "I called them"))
            assert sessions_of(postgres, team, "ben") == 1
            await pilot.press("escape")
            await until(pilot, lambda: others_seen_by(store) == {})
            presence.withdraw(anna, store)
            await until(pilot, lambda: "✎AN" not in queue_text(app))
        assert online_per(store) == []  # quitting withdrew ben (anna withdrew herself)
        assert sessions_of(postgres, team, "ben") == 0
    finally:
        anna.close()
        ben.close()


def _has_note(store: Store, text: str) -> bool:
    found = store.conn.execute("SELECT 1 FROM messages WHERE text = ?", (text,)).fetchone()
    return found is not None


async def test_a_rule_in_bens_replica_assigns_only_agents_whose_workstation_is_open(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    ben = team_of_two(postgres, tmp_path, store, deliver, make_message)
    rules = rules_of(
        'name = "deal"\nwhen = ["ticket_created"]\n'
        'then = [{ assign_round_robin = ["anna", "ben"] }]'
    )
    app = bens_desk(ben)
    try:
        async with app.run_test(size=(100, 24)) as pilot:
            await until(pilot, lambda: (rows.online_roster(ben.conn) or [[]])[0] == ["ben"])
            for n in range(2):
                ingest(ben, rules, make_message(subject=f"New {n}"), at=utcnow())
        assignees = ben.conn.execute(
            "SELECT assignee FROM tickets WHERE subject LIKE 'New %' ORDER BY id"
        ).fetchall()
        assert assignees == [("ben",), ("ben",)]  # anna is offline: passed over both times
    finally:
        ben.close()


async def test_a_reply_is_held_when_anna_wrote_after_the_thread_bens_screen_shows(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    from deskterm import actions
    from deskterm.store.team import held_reason

    ben = team_of_two(postgres, tmp_path, store, deliver, make_message)
    gid = store.conn.execute("SELECT gid FROM tickets WHERE id = 1").fetchone()[0]
    app = bens_desk(ben)

    def thread_text(app: DeskApp) -> str:
        thread = app.screen.query_one("#thread")
        return "\n".join(str(m.message.text) for m in thread.shown)

    def outbox() -> list[tuple[str, str | None]]:
        return ben.conn.execute("SELECT status, last_error FROM outbox ORDER BY id").fetchall()

    def reply_pushed(count: int) -> bool:
        on_server(ben, lambda conn: replica.push(ben, conn))
        return len(outbox()) == count

    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await app.open_ticket(ticket_of(ben, gid))
            await until(pilot, lambda: getattr(app.screen, "seen", None) is not None)
            await pilot.press("r", *"Sorted")  # ben starts his reply
            actions.note(store, 1, "I called them", actor="agent:anna")
            on_server(store, lambda conn: replica.push(store, conn))
            # ben's replica pulls anna's note and his screen shows it above his reply
            on_server(ben, lambda conn: replica.pull(ben, conn))
            await until(pilot, lambda: "I called them" in thread_text(app))
            await pilot.press("ctrl+s")
            await until(pilot, lambda: reply_pushed(1))
            ((status, error),) = outbox()
            assert status == "failed"
            assert held_reason(error) == "anna added a note after you started your reply"
            # A reply started once the screen showed anna's note leaves.
            await pilot.press("r", *"Done", "ctrl+s")
            await until(pilot, lambda: reply_pushed(2))
            assert outbox()[1] == ("queued", None)
    finally:
        ben.close()


async def test_a_macros_reply_is_judged_against_the_thread_shown_and_its_hold_reads_for_each(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    from deskterm.macros import MacroSet, parse_macro
    from deskterm.store.team import held_reason
    from deskterm.tui.screens.macros import MacroPalette

    ben = team_of_two(postgres, tmp_path, store, deliver, make_message)
    gid = store.conn.execute("SELECT gid FROM tickets WHERE id = 1").fetchone()[0]
    macro_set = MacroSet()
    thanks = parse_macro(
        'name = "thanks"\ndescription = "Thank them"\nreply = "Thanks, sorted."\nafter = "stay"\n',
        source="test",
        stem="thanks",
    )
    macro_set.macros[thanks.name] = thanks
    app = make_app(ben.path, Config(agent="ben"), sync=False, macro_set=macro_set)

    def outbox() -> list[tuple[str, str | None]]:
        found = ben.conn.execute("SELECT status, last_error FROM outbox ORDER BY id").fetchall()
        return [(status, held_reason(error)) for status, error in found]

    def pushed(count: int) -> bool:
        on_server(ben, lambda conn: replica.push(ben, conn))
        return len(outbox()) == count

    async def apply_thanks(pilot: Pilot, meanwhile: Callable[[], None] = lambda: None) -> None:
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MacroPalette))
        meanwhile()
        await pilot.press("enter")

    def annas_note() -> None:
        """While ben picks the macro: anna's note reaches his replica, not his eyes."""
        actions.note(store, 1, "I called them", actor="agent:anna")
        on_server(store, lambda conn: replica.push(store, conn))
        on_server(ben, lambda conn: replica.pull(ben, conn))

    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await app.open_ticket(ticket_of(ben, gid))
            await until(pilot, lambda: getattr(app.screen, "shown_seen", None) is not None)
            await apply_thanks(pilot, annas_note)
            await until(pilot, lambda: pushed(1))
            assert outbox() == [("failed", "anna added a note after you started your reply")]
            held = "anna added a note after you started your reply"
            await until(pilot, lambda: held in str(app.screen.query_one("#ticket-held").render()))
            await apply_thanks(pilot)  # the screen shows anna's note now
            await until(pilot, lambda: pushed(2))
            assert outbox()[1] == ("queued", None)
        on_server(store, lambda conn: replica.pull(store, conn))
        annas = make_app(store.path, Config(agent="anna"), sync=False)
        async with annas.run_test(size=(120, 30)) as pilot:
            await annas.open_ticket(1)
            mine = "you added a note after ben started this reply"
            await until(pilot, lambda: mine in str(annas.screen.query_one("#ticket-held").render()))
    finally:
        ben.close()
