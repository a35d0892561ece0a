"""The [tui] and [[views]] sections, and the snooze picker's times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from deskterm.config import ConfigError
from deskterm.store.queries import Sort
from deskterm.tui.settings import TuiSettings, View, parse_tui, parse_views
from deskterm.tui.snooze import snooze_until

THURSDAY = datetime(2026, 11, 19, 22, 30, tzinfo=UTC)
BERLIN_WINTER = timezone(timedelta(hours=1))


def test_stock_views_add_one_view_per_channel():
    views = parse_views(None, ["email", "ebay"], "anna")
    assert [v.name for v in views][-2:] == ["Email", "Ebay"]
    assert views[0] == View("Queue", "")


def test_configured_views_replace_the_stock_ones():
    views = parse_views([{"name": "VIP", "query": "tag:vip", "sort": "priority"}], [], "anna")
    assert views == [View("VIP", "tag:vip", Sort.PRIORITY)]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([{"query": "tag:x"}], r"views\[1\].name: is required"),
        ([{"name": "X", "query": "colour:red"}], r"views\[1\].query: colour: is not a search key"),
        ([{"name": "X", "sort": "size"}], r"views\[1\].sort: 'size' is not one of"),
        ([{"name": "X", "colour": "red"}], r"views\[1\]: unknown keys colour"),
        ({"name": "X"}, "views: must be a list of tables"),
        ([], "views: is empty"),
    ],
)
def test_bad_views_are_refused_naming_the_view_and_key(raw, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_views(raw, [], "anna")


def test_tui_settings_default_and_validate():
    assert parse_tui(None) == TuiSettings("next", False)
    assert parse_tui({"after_action": "stay", "bell": True}) == TuiSettings("stay", True)
    with pytest.raises(ConfigError, match=r'tui\.after_action: must be "next" or "stay"'):
        parse_tui({"after_action": "later"})
    with pytest.raises(ConfigError, match=r"tui\.bell: must be true or false"):
        parse_tui({"bell": "yes"})


def test_snooze_choices_are_local_mornings_and_durations():
    assert snooze_until("4h", THURSDAY, BERLIN_WINTER) == THURSDAY + timedelta(hours=4)
    # 23:30 in Berlin on Thursday: tomorrow is Friday 9:00 there.
    assert snooze_until("tomorrow", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 11, 20, 9, 0, tzinfo=BERLIN_WINTER
    )
    assert snooze_until("next week", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 11, 23, 9, 0, tzinfo=BERLIN_WINTER
    )
    assert snooze_until("2026-12-01", THURSDAY, UTC) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert snooze_until("2026-12-01 14:30", THURSDAY, UTC) == datetime(
        2026, 12, 1, 14, 30, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="'soon' is not a time"):
        snooze_until("soon", THURSDAY, UTC)
