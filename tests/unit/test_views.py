"""The [tui] and [[views]] sections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from deskterm.config import ConfigError, load_config, parse_config
from deskterm.store.queries import Sort
from deskterm.views import (
    TuiSettings,
    View,
    parse_configured_views,
    parse_tui,
    save_view,
    views_for,
)

THURSDAY = datetime(2026, 11, 19, 22, 30, tzinfo=UTC)
BERLIN_WINTER = timezone(timedelta(hours=1))


def test_stock_views_add_one_view_per_channel():
    views = views_for(parse_config({}), ["email", "ebay"])
    assert [v.name for v in views][-2:] == ["Email", "Ebay"]
    assert views[0] == View("Queue", "")


def test_configured_views_replace_the_stock_ones():
    config = parse_config({"views": [{"name": "VIP", "query": "tag:vip", "sort": "priority"}]})
    assert views_for(config, ["email"]) == [View("VIP", "tag:vip", Sort.PRIORITY)]


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
        parse_configured_views(raw, "anna")


def test_tui_settings_default_and_validate():
    assert parse_tui(None) == TuiSettings("next", False)
    assert parse_tui({"after_action": "stay", "bell": True}) == TuiSettings("stay", True)
    with pytest.raises(ConfigError, match=r'tui\.after_action: must be "next" or "stay"'):
        parse_tui({"after_action": "later"})
    with pytest.raises(ConfigError, match=r"tui\.bell: must be true or false"):
        parse_tui({"bell": "yes"})
    assert parse_tui({"desktop": ["breach", "mine"]}).desktop == ("breach", "mine")
    with pytest.raises(ConfigError, match=r"tui\.desktop: must be a list of 'breach'"):
        parse_tui({"desktop": ["everything"]})


def test_saving_a_view_keeps_the_views_in_use_and_the_files_comments(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# my settings\n[agent]\nname = "anna"\n')
    stock = views_for(parse_config({}), ["ebay"])
    views = save_view(path, View('VIP "gold"', "tag:vip", Sort.PRIORITY), stock)
    assert views == [*stock, View('VIP "gold"', "tag:vip", Sort.PRIORITY)]
    assert path.read_text().startswith('# my settings\n[agent]\nname = "anna"\n')
    again = save_view(path, View("Late", "older:2d", Sort.DEADLINE), views)
    assert [v.name for v in again][-2:] == ['VIP "gold"', "Late"]
    assert len(again) == len(stock) + 2


def test_a_view_that_would_break_the_file_is_not_written(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("views = 3\n")
    with pytest.raises(ConfigError):
        save_view(path, View("X", "tag:x"), [])
    assert path.read_text() == "views = 3\n"


def test_a_view_named_with_an_emoji_is_read_back_at_the_next_start(tmp_path):
    path = tmp_path / "config.toml"
    save_view(path, View("🔥 Hot", "tag:urgent", Sort.DEADLINE), [])
    assert "🔥 Hot" in path.read_text(encoding="utf-8")
    assert views_for(load_config(path), []) == [View("🔥 Hot", "tag:urgent", Sort.DEADLINE)]


def test_saving_a_view_keeps_comments_inside_the_views(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[[views]]\n# the morning sweep\nname = "Late"\nquery = "older:2d"\n')
    views = save_view(path, View("VIP", "tag:vip"), [View("Ignored", "")])
    assert [v.name for v in views] == ["Late", "VIP"]
    assert "# the morning sweep" in path.read_text()
