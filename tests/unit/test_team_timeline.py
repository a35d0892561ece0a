"""Team mode in the ticket's timeline: a change that overrode another agent's says whose."""

from __future__ import annotations

from deskterm.domain import Event
from deskterm.tui.widgets.sidebar import describe_event


def timeline_event(kind: str, data: dict, overrode: dict | None) -> Event:
    return Event(1, "2026-11-18T10:00:00Z", "agent:carl", kind, data, overrode=overrode)


def test_a_change_that_overrode_an_unseen_one_names_it() -> None:
    event = timeline_event(
        "status",
        {"before": "open", "after": "solved"},
        {"actor": "agent:anna", "value": "pending", "seq": 7},
    )
    assert describe_event(event) == "status open → solved · won over anna's pending"


def test_an_untag_that_overrode_a_tag_says_so() -> None:
    event = timeline_event("untag", {"tag": "vip"}, {"actor": "agent:ben", "value": True, "seq": 9})
    assert describe_event(event) == "untag vip · won over ben's tag"


def test_an_event_without_a_conflict_reads_as_before() -> None:
    event = timeline_event("priority", {"before": "normal", "after": "high"}, None)
    assert describe_event(event) == "priority normal → high"
