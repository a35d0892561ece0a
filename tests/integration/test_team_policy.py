"""The team's SLA policy against a real PostgreSQL: every replica works its deadlines out with the
one the team shares, whatever its machine's settings file says; a published change reaches every
replica; a team from before the policy was shared adopts the first replica's."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskterm.sla import clocks
from deskterm.sla.settings import SlaSettings, parse_sla
from deskterm.store import Store
from deskterm.team import policy, replica

from .teams import SLA_MOMENT, Team, state
from .test_team import run

pytestmark = pytest.mark.integration


def _settings(first_reply: str) -> SlaSettings:
    """One policy for every ticket, around the clock, with this first-reply target."""
    return parse_sla(
        {
            "policies": [
                {"name": "all", "calendar": "24/7", "first_reply": first_reply},
            ]
        }
    )


HOUR, THREE_HOURS = _settings("1h"), _settings("3h")


def _due(store: Store) -> datetime | None:
    """The one ticket's first-reply deadline as this replica works it out."""
    (ticket_id,) = store.conn.execute("SELECT id FROM tickets").fetchone()
    found = clocks.evaluate_ticket(store.conn, ticket_id, SLA_MOMENT)
    assert found is not None
    return found.summary.deadline


def _machine(monkeypatch: pytest.MonkeyPatch, settings: SlaSettings) -> None:
    """The settings file of the machine the next steps run on."""
    monkeypatch.setattr(clocks, "_settings", settings)


@pytest.fixture
def pair(
    postgres,
    tmp_path: Path,
    store: Store,
    deliver: Callable,
    make_message: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Team, Store, Store]]:
    """anna publishes a one-ticket workspace with a 1 h policy; ben's machine has the shipped
    settings (business hours, 2 h) and joins."""
    team = Team(postgres, tmp_path)
    _machine(monkeypatch, HOUR)
    deliver(make_message(subject="Where is my order?"))  # sent 11:01
    replica.init(store, team.url("anna"), "anna")
    _machine(monkeypatch, parse_sla(None))
    ben = team.join("ben")
    yield team, store, ben
    ben.close()


def test_every_replica_works_deadlines_out_with_the_teams_policy_and_a_change_reaches_all(
    pair: tuple[Team, Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    team, anna, ben = pair
    # ben's own file says 2 business hours; the team's 1 h around the clock is in force.
    assert _due(ben) == _due(anna) == datetime(2026, 11, 20, 12, 1, tzinfo=UTC)
    assert state(ben) == state(anna)
    words = policy.describe(ben, parse_sla(None))
    assert words is not None and "published by anna" in words
    assert "differ and are not in force" in words

    _machine(monkeypatch, THREE_HOURS)
    policy.publish(ben, THREE_HOURS)
    assert _due(ben) == datetime(2026, 11, 20, 14, 1, tzinfo=UTC)
    team.sync(ben)
    _machine(monkeypatch, HOUR)  # anna's file still says 1 h
    team.sync(anna)
    assert _due(anna) == datetime(2026, 11, 20, 14, 1, tzinfo=UTC)
    # anna's stored columns were worked out again with the team's new policy.
    assert anna.conn.execute("SELECT next_deadline FROM tickets").fetchone() == (
        "2026-11-20T14:01:00Z",
    )
    assert state(anna) == state(ben)
    words = policy.describe(anna, HOUR)
    assert words is not None and "published by ben" in words


def test_a_team_from_before_the_policy_was_shared_adopts_the_first_replicas_on_its_next_sync(
    pair: tuple[Team, Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    team, anna, ben = pair
    # As a team made before the policy was shared: none on the server, none on a replica.
    conn = replica.open_server(replica.configured(anna))
    with conn:
        conn.execute("DELETE FROM deskterm.records WHERE kind = 'policy'")
    conn.close()
    for store in (anna, ben):
        with store.tx() as db:
            db.execute("DELETE FROM meta WHERE key LIKE 'team.sla%'")
    # Each machine's own file: the divergence this mends.
    assert _due(ben) == datetime(2026, 11, 20, 13, 1, tzinfo=UTC)  # 2 business hours
    _machine(monkeypatch, HOUR)
    assert _due(anna) == datetime(2026, 11, 20, 12, 1, tzinfo=UTC)

    _machine(monkeypatch, THREE_HOURS)
    team.sync(ben)  # the first to sync publishes its machine's policy
    _machine(monkeypatch, HOUR)
    team.sync(anna)
    assert _due(anna) == _due(ben) == datetime(2026, 11, 20, 14, 1, tzinfo=UTC)
    assert state(anna) == state(ben)
    assert team.records("policy")["sla"]["by"] == "ben"


def test_the_command_says_which_policy_is_in_force_and_publishes_this_machines(
    pair: tuple[Team, Store, Store],
) -> None:
    team, anna, _ = pair
    Path(os.environ["DESKTERM_CONFIG"]).write_text(
        '[[sla.policies]]\nname = "all"\ncalendar = "24/7"\nfirst_reply = "3h"\n'
    )
    ben_db = str(team.tmp / "ben.db")
    code, out, _ = run("team", "policy", "--db", ben_db)
    assert code == 0 and "differ and are not in force" in out and "published by anna" in out
    code, out, _ = run("team", "policy", "--publish", "--db", ben_db)
    assert code == 0 and "published by ben" in out and "are the same" in out
    code, out, _ = run("team", "status", "--db", ben_db)
    assert "SLA policy: the team's SLA policy is in force (published by ben" in out
    code, out, _ = run("--db", ben_db, "sla", "check")
    assert "In this team replica the team's SLA policy is in force" in out
    team.sync(anna)
    assert _due(anna) == datetime(2026, 11, 20, 14, 1, tzinfo=UTC)

    Path(os.environ["DESKTERM_CONFIG"]).write_text("[sla]\npolicies = 3\n")
    code, _, err = run("team", "policy", "--db", ben_db)
    assert code == 2 and err.count("\n") == 1 and "sla.policies" in err
