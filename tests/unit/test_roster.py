"""Who gets the next ticket: round-robin or least-loaded over a group, skipping whoever is
offline or at their cap; and the [team] settings that name the groups and the cap."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import actions, automation
from deskterm.config import Config, ConfigError
from deskterm.store import Store, open_store
from deskterm.store import team as rows
from deskterm.team import roster
from tests.conftest import NOW
from tests.unit.test_automation import ingest, rules_of

GROUP = ("anna", "ben", "cleo")


def test_round_robin_goes_on_after_the_last_one_given_and_wraps() -> None:
    load = dict.fromkeys(GROUP, 0)
    assert roster.choose(GROUP, "round_robin", load=load) == "anna"
    assert roster.choose(GROUP, "round_robin", load=load, last="anna") == "ben"
    assert roster.choose(GROUP, "round_robin", load=load, last="cleo") == "anna"
    assert roster.choose(GROUP, "round_robin", load=load, last="zoe") == "anna"


def test_least_loaded_gives_the_fewest_open_tickets_first_listed_on_a_tie() -> None:
    assert roster.choose(GROUP, "least_loaded", load={"anna": 3, "ben": 1, "cleo": 1}) == "ben"


def test_offline_agents_and_agents_at_their_cap_are_skipped() -> None:
    load = {"anna": 0, "ben": 2, "cleo": 1}
    assert roster.choose(GROUP, "round_robin", load=load, online={"ben", "cleo"}) == "ben"
    assert roster.choose(GROUP, "round_robin", load=load, online={"ben", "cleo"}, cap=2) == "cleo"
    assert roster.choose(GROUP, "least_loaded", load=load, online={"cleo"}, cap=1) is None
    assert roster.choose(GROUP, "least_loaded", load=load, online=set()) is None


def test_the_team_table_names_groups_and_a_cap() -> None:
    raw = {"team": {"cap": 4, "groups": {"billing": ["anna", " ben "]}}}
    settings = Config(raw=raw).get(roster.TEAM)
    assert settings == roster.TeamSettings(4, {"billing": ("anna", "ben")})
    assert Config(raw={}).get(roster.TEAM) == roster.TeamSettings()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"cap": 0}, "team.cap: must be a whole number"),
        ({"groups": {"billing": []}}, "team.groups.billing: must be a list"),
        ({"groups": {"billing": ["anna", 3]}}, "must hold agent names"),
        ({"group": {}}, "team.group: unknown setting"),
    ],
)
def test_a_wrong_team_table_is_refused_with_where(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config(raw={"team": table}).get(roster.TEAM)


def test_online_is_everyone_outside_a_team_and_what_was_heard_lately_inside(
    store: Store, now
) -> None:
    assert roster.online(store, now) is None
    with store.tx() as conn:
        rows.meta_set(conn, rows.TEAM_URL, "postgresql://db.example/desk")
    with pytest.raises(actions.ActionError, match="who is online is not known here"):
        roster.online(store, now)
    roster.remember_online(store, ["ben", "anna"], now)
    assert roster.online(store, now + timedelta(minutes=2)) == {"anna", "ben"}
    with pytest.raises(actions.ActionError, match="in the last 3 minutes"):
        roster.online(store, now + timedelta(minutes=4))


def test_agents_taking_next_at_once_get_different_tickets_and_the_cap_holds(
    db_path: Path, store: Store, deliver: Callable, make_message: Callable, now
) -> None:
    deliver(*(make_message(subject=f"Order {n}") for n in range(4)))
    taken: dict[str, int | None] = {}
    start = threading.Barrier(3)

    def take(agent: str) -> None:
        mine = open_store(db_path)  # each agent on a connection of their own
        try:
            start.wait()
            taken[agent] = roster.take_next_here(mine, agent, now)
        finally:
            mine.close()

    threads = [threading.Thread(target=take, args=(a,)) for a in GROUP]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert None not in taken.values() and len(set(taken.values())) == 3
    assignees = dict(store.conn.execute("SELECT id, assignee FROM tickets").fetchall())
    assert {assignees[t] for t in taken.values() if t} == set(GROUP)
    with pytest.raises(actions.ActionError, match="anna already has 1 open tickets, the cap"):
        roster.take_next_here(store, "anna", now, cap=1)
    last = roster.take_next_here(store, "anna", now, cap=2)
    assert last not in taken.values() and last is not None
    assert roster.take_next_here(store, "ben", now) is None


ROUTE = """
name = "route"
when = ["ticket_created"]
then = [{{ {action} }}]
"""


def routed(store: Store, make_message: Callable, action: str, count: int) -> list[str | None]:
    """Who each of `count` new tickets went to under a rule taking `action`."""
    rules = rules_of(ROUTE.format(action=action))
    tickets = [ingest(store, rules, make_message()) for _ in range(count)]
    return [
        store.conn.execute("SELECT assignee FROM tickets WHERE id = ?", (t,)).fetchone()[0]
        for t in tickets
    ]


def configure(text: str) -> None:
    Path(os.environ["DESKTERM_CONFIG"]).write_text(text)


def test_a_rule_deals_tickets_round_robin_over_a_group_up_to_the_cap(
    store: Store, make_message: Callable
) -> None:
    configure('[team]\ncap = 2\ngroups = { billing = ["anna", "ben"] }\n')
    action = 'assign_round_robin = "billing"'
    assert routed(store, make_message, action, 5) == ["anna", "ben", "anna", "ben", None]
    outcome = automation.Engine(store, rules_of(ROUTE.format(action=action)))
    skipped = outcome.fire(outcome.rules.get("route"), 5, {}, NOW, 0).outcomes[0].skipped
    assert skipped == "nobody of group billing is under the cap of 2 open tickets"


def test_a_rule_in_a_team_replica_passes_over_agents_who_are_offline(
    store: Store, make_message: Callable
) -> None:
    with store.tx() as conn:
        rows.meta_set(conn, rows.TEAM_URL, "postgresql://db.example/desk")
    roster.remember_online(store, ["ben", "cleo"], NOW)
    action = 'assign_least_loaded = ["anna", "ben", "cleo"], cap = 1'
    assert routed(store, make_message, action, 3) == ["ben", "cleo", None]
    roster.remember_online(store, [], NOW)
    assert routed(store, make_message, 'assign_round_robin = ["anna"]', 1) == [None]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ('assign_round_robin = ""', "needs a list of agent names or a group's name"),
        ('assign_least_loaded = ["anna"], cap = 0', "cap is a whole number"),
        ('assign = "anna", cap = 2', "assign does not take 'cap'"),
    ],
)
def test_a_wrong_assignment_in_a_rule_is_refused_at_load(action: str, message: str) -> None:
    with pytest.raises(automation.RuleError, match=message):
        rules_of(ROUTE.format(action=action))
