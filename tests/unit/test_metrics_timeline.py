"""The ticket's timeline shows survey ratings and leaves out the handle time of each visit."""

from __future__ import annotations

from datetime import UTC

from deskterm.domain import Event
from deskterm.tui.widgets.sidebar import describe_event, timeline_lines


def event(kind: str, data: dict) -> Event:
    return Event(1, "2026-11-18T10:00:00Z", "sync:mail", kind, data)


def test_a_rating_reads_as_its_survey_score_and_comment() -> None:
    rating = event("rating", {"survey": "csat", "score": 4, "comment": "Quick", "message": 3})
    assert describe_event(rating) == "rated CSAT 4: Quick"


def test_handle_time_records_stay_out_of_the_timeline() -> None:
    events = [event("tag", {"tag": "vip"})] + [event("handled", {"seconds": 30})] * 20
    lines = timeline_lines(events, UTC)
    assert [line.plain.split(" ", 4)[-1] for line in lines] == ["tag vip"]
