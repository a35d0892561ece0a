"""Team mode in the ticket's timeline: a change that overrode another agent's says whose."""

from __future__ import annotations

from deskterm.tui.widgets.sidebar import describe_event


def test_a_change_that_overrode_an_unseen_one_names_it() -> None:
    event = {
        "kind": "status",
        "data": {"before": "open", "after": "solved"},
        "overrode": {"actor": "agent:anna", "value": "pending", "seq": 7},
    }
    assert describe_event(event) == "status open → solved · won over anna's pending"


def test_an_untag_that_overrode_a_tag_says_so() -> None:
    event = {
        "kind": "untag",
        "data": {"tag": "vip"},
        "overrode": {"actor": "agent:ben", "value": True, "seq": 9},
    }
    assert describe_event(event) == "untag vip · won over ben's tag"


def test_an_event_without_a_conflict_reads_as_before() -> None:
    event = {"kind": "priority", "data": {"before": "normal", "after": "high"}, "overrode": None}
    assert describe_event(event) == "priority normal → high"
