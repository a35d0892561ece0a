"""Traffic Cop from the command line: a reply (or a macro's) is judged against what the writer's
last `deskterm show` printed, and a held reply reads right for whoever reads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import actions
from deskterm.cli.main import app
from deskterm.store import Store
from deskterm.store.team import held_reason
from deskterm.team import replica

from .postgres import Postgres
from .teams import Team

pytestmark = pytest.mark.integration

THANKS = 'name = "thanks"\ndescription = "Thank them"\nreply = "Thanks, sorted."\n'


def cli(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(store.path), *args])
    return result.exit_code, result.stdout, result.stderr


def replies(store: Store, ticket_id: int) -> list[tuple[str, str | None]]:
    """(status, held reason) of each reply of the ticket, oldest first."""
    found = store.conn.execute(
        "SELECT status, last_error FROM outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ).fetchall()
    return [(status, held_reason(error)) for status, error in found]


@pytest.fixture
def pair(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> tuple[Team, Store]:
    """anna's published workspace with two tickets (#1, #2, the same on every replica) and
    ben's replica of it."""
    deliver(make_message(subject="Where is my parcel"), make_message(subject="Refund please"))
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    assert ben.conn.execute("SELECT id, gid FROM tickets ORDER BY id").fetchall() == (
        store.conn.execute("SELECT id, gid FROM tickets ORDER BY id").fetchall()
    )
    return team, ben


@pytest.fixture
def thanks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A macro that only replies, among the user's macros."""
    folder = tmp_path / "macros"
    folder.mkdir()
    (folder / "thanks.toml").write_text(THANKS, encoding="utf-8")
    monkeypatch.setenv("DESKTERM_MACROS", str(folder))


def anna_notes(team: Team, anna: Store, ticket_id: int, text: str) -> None:
    actions.note(anna, ticket_id, text, actor="agent:anna")
    team.sync(anna)


def test_a_reply_is_judged_against_what_the_writers_last_show_printed(
    pair: tuple[Team, Store], store: Store
) -> None:
    team, ben = pair
    code, _, err = cli(ben, "reply", "1", "--as", "ben", "--body", "Sorted")
    assert code == 1 and replies(ben, 1) == []
    assert err.strip() == (
        "deskterm: you have not read #1 here: run deskterm show 1 first, or pass --seen-all if you "
        "have read all of it (nothing was changed)"
    )
    assert cli(ben, "show", "1")[0] == 0
    anna_notes(team, store, 1, "I called them")
    team.sync(ben)  # ben's replica holds anna's note; ben has not read it
    assert cli(ben, "reply", "1", "--as", "ben", "--body", "Sorted")[0] == 0
    team.sync(ben)
    assert replies(ben, 1) == [("failed", "anna added a note after you started your reply")]
    code, shown, _ = cli(ben, "show", "1")  # now he has, and says so
    assert "I called them" in shown
    assert cli(ben, "reply", "1", "--as", "ben", "--body", "Done")[0] == 0
    team.sync(ben)
    assert replies(ben, 1)[1] == ("queued", None)


def test_seen_all_counts_what_the_replica_holds_offline_too(
    pair: tuple[Team, Store], store: Store
) -> None:
    team, ben = pair
    anna_notes(team, store, 1, "I called them")
    team.sync(ben)
    assert cli(ben, "reply", "1", "--as", "ben", "--seen-all", "--body", "Sorted")[0] == 0
    team.sync(ben)  # his replica held anna's note: read, as he says
    anna_notes(team, store, 1, "They want a refund now")
    # Offline: ben's replica lacks anna's second note, so "all" cannot cover it.
    assert cli(ben, "reply", "1", "--as", "ben", "--seen-all", "--body", "Refunded")[0] == 0
    team.sync(ben)  # back online
    assert replies(ben, 1) == [
        ("queued", None),
        ("failed", "anna added a note after you started your reply"),
    ]


def test_a_macro_from_the_command_line_follows_the_same_rule(
    pair: tuple[Team, Store], store: Store, thanks: None
) -> None:
    team, ben = pair
    code, _, err = cli(ben, "macro", "apply", "thanks", "-t", "2", "--as", "ben")
    assert code == 1 and "you have not read #2 here" in err and replies(ben, 2) == []
    assert cli(ben, "show", "2")[0] == 0
    anna_notes(team, store, 2, "I called them")
    team.sync(ben)
    assert cli(ben, "macro", "apply", "thanks", "-t", "2", "--as", "ben")[0] == 0
    assert cli(ben, "macro", "apply", "thanks", "-t", "2", "--as", "ben", "--seen-all")[0] == 0
    team.sync(ben)
    assert replies(ben, 2) == [
        ("failed", "anna added a note after you started your reply"),
        ("queued", None),
    ]


def test_a_held_reply_names_its_writer_to_the_others(
    pair: tuple[Team, Store], store: Store
) -> None:
    team, ben = pair
    cli(ben, "show", "1")
    anna_notes(team, store, 1, "I called them")
    cli(ben, "reply", "1", "--as", "ben", "--body", "Sorted")
    team.sync(ben)
    team.sync(store)
    _, bens, _ = cli(ben, "outbox")
    _, annas, _ = cli(store, "outbox")
    assert "needs attention: anna added a note after you started your reply" in bens
    assert "needs attention: you added a note after ben started this reply" in annas
    _, shown, _ = cli(store, "show", "1")
    assert "held: you added a note after ben started this reply" in shown
    assert "after you started" not in annas + shown


def test_a_hold_for_a_macros_reply_names_the_agent_who_applied_it(
    pair: tuple[Team, Store], store: Store, thanks: None
) -> None:
    team, ben = pair
    cli(ben, "show", "1")
    assert cli(store, "macro", "apply", "thanks", "-t", "1", "--as", "anna", "--seen-all")[0] == 0
    team.sync(store)
    cli(ben, "reply", "1", "--as", "ben", "--body", "Sorted")
    team.sync(ben)
    (error,) = ben.conn.execute("SELECT last_error FROM outbox WHERE status = 'failed'").fetchone()
    assert held_reason(error) == "thanks added a reply after you started your reply"  # the server
    team.sync(store)
    _, bens, _ = cli(ben, "outbox")
    _, annas, _ = cli(store, "outbox")
    assert "needs attention: anna added a reply after you started your reply" in bens
    assert "needs attention: you added a reply after ben started this reply" in annas
