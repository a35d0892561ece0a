"""Team mode against a real PostgreSQL: publishing a workspace, joining it, and replicas that
converge on the server's log whatever order their offline work arrives in."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import actions
from deskterm.domain import utcnow
from deskterm.store import Store
from deskterm.store import team as team_rows
from deskterm.team import replica, server
from deskterm.team.server import TeamError

from .postgres import Postgres
from .teams import Team, state, ticket_of

pytestmark = pytest.mark.integration


@pytest.fixture
def team(postgres: Postgres, tmp_path: Path) -> Team:
    return Team(postgres, tmp_path)


@pytest.fixture
def pair(team: Team, store: Store, deliver: Callable, make_message: Callable) -> Iterator[tuple]:
    """anna's workspace with three tickets, published, and ben's replica joined to it."""
    for n in range(3):
        deliver(make_message(subject=f"Order {n}", text=f"where is order {n}?"))
    actions.tag(store, 1, "vip", actor="agent:anna")
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    yield store, ben
    ben.close()


def test_a_joined_replica_holds_the_published_workspace(pair: tuple) -> None:
    anna, ben = pair
    assert len(state(ben)) == 3
    assert state(ben) == state(anna)
    assert ben.conn.execute("SELECT COUNT(*) FROM messages_fts").fetchone()[0] == 3


def test_offline_work_on_two_replicas_converges_with_the_later_push_winning(
    pair: tuple, team: Team
) -> None:
    anna, ben = pair
    gid = anna.conn.execute("SELECT gid FROM tickets WHERE id = 1").fetchone()[0]
    a1, b1 = ticket_of(anna, gid), ticket_of(ben, gid)
    # Both work offline on the same ticket.
    actions.set_status(anna, a1, "pending", actor="agent:anna")
    actions.tag(anna, a1, "refund", actor="agent:anna")
    actions.note(anna, a1, "asked the carrier", actor="agent:anna")
    actions.set_status(ben, b1, "solved", actor="agent:ben")
    actions.untag(ben, b1, "vip", actor="agent:ben")
    actions.note(ben, b1, "customer has it now", actor="agent:ben")
    actions.set_priority(ben, b1, "high", actor="agent:ben")

    assert team.sync(anna) == (3, 0)
    assert team.sync(ben) == (4, 3)
    team.sync(anna)

    assert state(anna) == state(ben)
    fields, tags, messages, *_ = state(ben)[gid]
    assert fields[1:3] == ["solved", "high"]  # ben pushed later: his status stands
    assert tags == ["refund"]
    assert {m[3] for m in messages} >= {"asked the carrier", "customer has it now"}
    overrode = anna.conn.execute(
        "SELECT actor, overrode FROM events WHERE kind = 'status' AND overrode IS NOT NULL"
    ).fetchall()
    assert [(actor, json.loads(o)["actor"], json.loads(o)["value"]) for actor, o in overrode] == [
        ("agent:ben", "agent:anna", "pending")
    ]


def test_the_server_records_the_role_that_wrote_each_event(pair: tuple, team: Team) -> None:
    anna, ben = pair
    gid = anna.conn.execute("SELECT gid FROM tickets WHERE id = 2").fetchone()[0]
    actions.assign(ben, ticket_of(ben, gid), "ben", actor="agent:ben")
    team.sync(ben)
    team.sync(anna)
    authors = anna.conn.execute("SELECT author FROM events WHERE kind = 'assign'").fetchall()
    assert authors == [(team.roles["ben"],)]


def test_an_agent_cannot_write_events_as_another(pair: tuple, team: Team) -> None:
    _, ben = pair
    gid = ben.conn.execute("SELECT gid FROM tickets LIMIT 1").fetchone()[0]
    conn = server.connect(team.url("ben"))
    forged = {
        "uid": "6f1c1a1e-0000-4000-8000-000000000001",
        "ticket": gid,
        "kind": "note",
        "actor": "agent:anna",
        "at": "2026-11-20T12:00:00Z",
        "data": {},
    }
    try:
        with pytest.raises(TeamError, match="signs in as agent:ben, not agent:anna"):
            server.push(conn, [forged])
        stamped = server.push(conn, [{**forged, "actor": "rule:vip"}])
    finally:
        conn.close()
    assert [(author, over) for _, author, over, *_ in stamped] == [(team.roles["ben"], None)]


def test_a_push_repeated_after_a_lost_answer_stores_each_event_once(
    pair: tuple, team: Team
) -> None:
    anna, _ = pair
    actions.set_priority(anna, 1, "urgent", actor="agent:anna")
    with anna.tx() as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = ?", (replica.PUSHED,))
        conn.execute("UPDATE events SET seq = NULL")
    team.sync(anna)
    conn = server.connect(team.url("anna"))
    try:
        count = conn.execute("SELECT COUNT(*), COUNT(DISTINCT uid) FROM deskterm.events").fetchone()
    finally:
        conn.close()
    local = anna.conn.execute(
        "SELECT COUNT(*) FROM events WHERE kind != 'sla_breach' AND seq IS NOT NULL"
    ).fetchone()[0]
    assert count == (local, local)


def test_joining_needs_the_role_registered_as_that_agent(team: Team, store: Store) -> None:
    replica.init(store, team.url("anna"), "anna")
    ben = team.replica("ben")
    with pytest.raises(TeamError, match="not an agent of this workspace"):
        replica.join(ben, team.url("ben"), "ben")
    ben.close()


def run(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from deskterm.cli.main import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_commands_keep_the_password_in_the_keyring_and_say_what_they_did(
    team: Team, store: Store, deliver: Callable, make_message: Callable, db_path: Path
) -> None:
    deliver(make_message())
    code, out, _ = run("team", "init", team.url("anna"), "--agent", "anna", "--db", str(db_path))
    assert (code, out.split(";")[0]) == (0, "published 1 events")
    assert "password" not in replica.status(store)["server"]
    code, out, _ = run("team", "add-agent", team.roles["ben"], "ben", "--db", str(db_path))
    assert (code, out.strip()) == (0, f"role {team.roles['ben']} writes as agent:ben")
    actions.note(store, 1, "seen", actor="agent:anna")
    code, out, _ = run("team", "sync", "--db", str(db_path))
    assert (code, out.strip()) == (0, "1 pushed, 0 pulled")

    ben_db = str(team.tmp / "ben.db")
    code, _, err = run(
        "team", "join", team.url("ben", password=False), "--agent", "ben", "--db", ben_db
    )
    assert code == 1 and err.count("\n") == 1 and "cannot connect to the team server" in err
    code, out, _ = run("team", "join", team.url("ben"), "--agent", "ben", "--db", ben_db)
    assert (code, out.strip()) == (0, "joined as ben: 2 events pulled")
    code, out, _ = run("team", "status", "--db", ben_db)
    assert "agent: ben" in out and "not pushed yet: 0" in out and ":pw@" not in out


def test_merges_and_undos_reach_the_other_replica(pair: tuple, team: Team) -> None:
    anna, ben = pair
    actions.merge(anna, 2, 1, actor="agent:anna")
    gid = ben.conn.execute("SELECT gid FROM tickets LIMIT 1 OFFSET 2").fetchone()[0]
    actions.set_priority(ben, ticket_of(ben, gid), "urgent", actor="agent:ben")
    actions.undo(ben, actor="agent:ben")
    for store in (anna, ben, anna):
        team.sync(store)
    assert state(ben) == state(anna)
    merged = {g: t[0][6] for g, t in state(ben).items()}
    assert sorted(merged.values()) == [0, 0, 1]
    assert state(ben)[gid][0][2] == "normal"

    actions.undo(anna, actor="agent:anna")
    for store in (anna, ben, anna):
        team.sync(store)
    assert state(ben) == state(anna)
    assert sorted(len(t[2]) for t in state(ben).values()) == [1, 1, 1]


def test_a_split_reaches_the_other_replica_with_its_new_ticket(pair: tuple, team: Team) -> None:
    anna, ben = pair
    actions.merge(anna, 2, 1, actor="agent:anna")
    moved = anna.conn.execute("SELECT MAX(id) FROM messages WHERE ticket_id = 1").fetchone()[0]
    actions.split(anna, moved, actor="agent:anna")
    for store in (anna, ben, anna):
        team.sync(store)
    assert state(ben) == state(anna)
    assert sorted(len(t[2]) for t in state(ben).values()) == [0, 1, 1, 1]


def test_an_undo_pulled_after_a_later_change_to_its_field_leaves_the_later_change(
    pair: tuple, team: Team
) -> None:
    anna, ben = pair
    gid = anna.conn.execute("SELECT gid FROM tickets WHERE id = 2").fetchone()[0]
    actions.set_status(anna, ticket_of(anna, gid), "pending", actor="agent:anna")
    actions.tag(anna, ticket_of(anna, gid), "late", actor="agent:anna")
    team.sync(anna)
    team.sync(ben)
    # anna undoes both; ben, not having pulled that yet, changes the same fields after her.
    actions.undo(anna, actor="agent:anna")
    actions.undo(anna, actor="agent:anna")
    team.sync(anna)
    actions.set_status(ben, ticket_of(ben, gid), "solved", actor="agent:ben")
    actions.untag(ben, ticket_of(ben, gid), "late", actor="agent:ben")
    actions.tag(ben, ticket_of(ben, gid), "late", actor="agent:ben")
    team.sync(ben)  # pushes his changes (ordered after her undos), then pulls her undos
    team.sync(anna)
    assert state(ben) == state(anna)
    fields, tags, _, events, _ = state(ben)[gid]
    assert (fields[1], tags) == ("solved", ["late"])
    assert [e[3] for e in events][-5:] == ["undo", "undo", "status", "untag", "tag"]


def test_a_pulled_undo_older_than_a_later_change_leaves_the_later_changes_sla_columns(
    pair: tuple, team: Team
) -> None:
    anna, ben = pair
    gid = anna.conn.execute("SELECT gid FROM tickets WHERE id = 2").fetchone()[0]
    now = utcnow()
    actions.set_status(
        anna, ticket_of(anna, gid), "pending", actor="agent:anna", at=now - timedelta(minutes=2)
    )
    team.sync(anna)
    team.sync(ben)
    # Her undo was written a minute before ben solves the ticket, and reaches him after that.
    actions.undo(anna, actor="agent:anna", at=now - timedelta(minutes=1))
    team.sync(anna)
    actions.set_status(ben, ticket_of(ben, gid), "solved", actor="agent:ben", at=now)
    team.sync(ben)
    team.sync(anna)
    assert state(ben) == state(anna)
    columns = "SELECT status, next_deadline, sla_state FROM tickets WHERE gid = ?"
    assert ben.conn.execute(columns, (gid,)).fetchone() == (
        anna.conn.execute(columns, (gid,)).fetchone()
    )
    assert ben.conn.execute(columns, (gid,)).fetchone()[:2] == ("solved", None)


def _new_ticket(store: Store, make_message: Callable, sender: str) -> str:
    """A ticket created on this replica alone (as a pull of new mail makes one); its gid."""
    from deskterm import ingest
    from deskterm.domain import Batch, Identity

    message = make_message(sender=Identity("email", sender), subject=f"From {sender}")
    ingest.ingest_batch(store, "mail", Batch([message], {}), now=message.sent_at)
    last = store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
    return team_rows.ticket_gid(store.conn, last)


def test_tickets_created_on_two_replicas_at_once_get_the_same_numbers_everywhere(
    pair: tuple, team: Team, make_message: Callable
) -> None:
    anna, ben = pair
    theirs = _new_ticket(ben, make_message, "cleo@example.net")
    ours = _new_ticket(anna, make_message, "dora@example.net")
    assert ticket_of(anna, ours) == ticket_of(ben, theirs) == 4  # both provisional #4
    team.sync(ben)  # ben's reaches the server first: it is the team's #4
    team.sync(anna)  # anna's becomes #5, and her replica says so
    team.sync(ben)
    assert state(anna) == state(ben)
    assert (ticket_of(anna, theirs), ticket_of(anna, ours)) == (4, 5)
    assert (ticket_of(ben, theirs), ticket_of(ben, ours)) == (4, 5)
    moved = anna.conn.execute(
        "SELECT ticket_id, data FROM events WHERE kind = 'renumbered'"
    ).fetchall()
    assert [(t, json.loads(d)) for t, d in moved] == [(5, {"was": 4, "now": 5})]
    assert (
        ben.conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'renumbered'").fetchone()[0] == 0
    )


def test_a_ticket_pulled_onto_the_number_of_one_not_pushed_yet_moves_that_one_on(
    pair: tuple, team: Team, make_message: Callable
) -> None:
    anna, ben = pair
    ours = _new_ticket(anna, make_message, "dora@example.net")
    actions.note(anna, ticket_of(anna, ours), "called her back", actor="agent:anna")
    theirs = _new_ticket(ben, make_message, "cleo@example.net")
    team.sync(ben)
    conn = replica.open_server(replica.configured(anna))
    try:
        replica.pull(anna, conn)  # ben's #4 arrives before anna pushed hers
    finally:
        conn.close()
    assert (ticket_of(anna, theirs), ticket_of(anna, ours)) == (4, 5)
    note = anna.conn.execute("SELECT ticket_id FROM messages WHERE text = 'called her back'")
    assert note.fetchone()[0] == 5  # everything on it moved along
    team.sync(anna)
    team.sync(ben)
    assert state(anna) == state(ben)
    assert ticket_of(ben, ours) == 5


def test_a_catch_up_stopped_midway_keeps_what_it_had_folded_in(
    pair: tuple, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna, ben = pair
    for n in range(replica.APPLY + 20):
        actions.tag(anna, 1 + n % 3, f"t{n}", actor="agent:anna")
    team.sync(anna)
    before = replica.pulled_through(ben)
    pieces: list[int] = []

    def second_piece_fails(store: Store, events: list[dict]) -> int:
        pieces.append(len(events))
        if len(pieces) == 2:
            raise RuntimeError("the machine went down")
        return apply_all(store, events)

    from deskterm.team.apply import apply_all

    monkeypatch.setattr(replica, "apply_all", second_piece_fails)
    with pytest.raises(RuntimeError):
        team.sync(ben)
    assert replica.pulled_through(ben) == before + replica.APPLY
    tags = ben.conn.execute("SELECT COUNT(*) FROM ticket_tags WHERE tag LIKE 't%'").fetchone()[0]
    assert tags == replica.APPLY
    monkeypatch.setattr(replica, "apply_all", apply_all)
    team.sync(ben)
    assert state(ben) == state(anna)
