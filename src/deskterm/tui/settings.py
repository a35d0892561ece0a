"""The TUI's own config sections, validated: [[views]] (saved searches) and [tui] (behaviour)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskterm.config import Config, ConfigError
from deskterm.store.filters import FilterError, parse
from deskterm.store.queries import Sort

AFTER_ACTION = ("next", "stay")


@dataclass(frozen=True, slots=True)
class View:
    """A named saved search; the first nine are switched with the number keys."""

    name: str
    query: str
    sort: Sort = Sort.DEADLINE


@dataclass(frozen=True, slots=True)
class TuiSettings:
    after_action: str = "next"
    bell: bool = False


DEFAULT_VIEWS = (
    View("Queue", ""),
    View("Mine", "is:mine"),
    View("Unassigned", "is:unassigned"),
    View("Breached", "is:breached"),
    View("Escalated", "is:escalated"),
    View("Pending", "status:pending"),
)


def parse_views(raw: Any, channels: list[str], me: str, path: Path | None = None) -> list[View]:
    """[[views]] from the config, or the stock views plus one per channel when there are none."""
    if raw is None:
        stock = list(DEFAULT_VIEWS)
        stock += [View(channel.capitalize(), f"channel:{channel}") for channel in channels]
        return stock[:9]
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise ConfigError(path, "views", 'must be a list of tables, like [[views]] name = "Mine"')
    views = []
    for n, table in enumerate(raw, start=1):
        where = f"views[{n}]"
        name, query, sort = table.get("name"), table.get("query", ""), table.get("sort", "deadline")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(path, f"{where}.name", "is required and must be text")
        if not isinstance(query, str):
            raise ConfigError(path, f"{where}.query", "must be text, like status:open tag:wismo")
        try:
            parse(query, me=me)
        except FilterError as exc:
            raise ConfigError(path, f"{where}.query", str(exc)) from None
        if sort not in {s.value for s in Sort}:
            raise ConfigError(
                path, f"{where}.sort", f"{sort!r} is not one of {', '.join(s.value for s in Sort)}"
            )
        unknown = set(table) - {"name", "query", "sort"}
        if unknown:
            raise ConfigError(path, where, f"unknown keys {', '.join(sorted(unknown))}")
        views.append(View(name.strip(), query, Sort(sort)))
    if not views:
        raise ConfigError(path, "views", "is empty; remove it to get the stock views")
    return views


def parse_tui(raw: Any, path: Path | None = None) -> TuiSettings:
    if raw is None:
        return TuiSettings()
    if not isinstance(raw, dict):
        raise ConfigError(path, "tui", "must be a table, like [tui]")
    after = raw.get("after_action", "next")
    if after not in AFTER_ACTION:
        raise ConfigError(path, "tui.after_action", f'must be "next" or "stay", not {after!r}')
    bell = raw.get("bell", False)
    if not isinstance(bell, bool):
        raise ConfigError(path, "tui.bell", "must be true or false")
    unknown = set(raw) - {"after_action", "bell"}
    if unknown:
        raise ConfigError(path, "tui", f"unknown keys {', '.join(sorted(unknown))}")
    return TuiSettings(after_action=after, bell=bell)


def views_toml(views: list[View]) -> str:
    """[[views]] tables for the config file; json's string escapes are valid TOML."""
    return "".join(
        f"\n[[views]]\nname = {json.dumps(v.name)}\nquery = {json.dumps(v.query)}\n"
        f"sort = {json.dumps(v.sort.value)}\n"
        for v in views
    )


def save_view(path: Path, view: View, current: list[View], configured: bool, me: str) -> list[View]:
    """Append `view` to the settings file at `path`; returns the views the file now defines.

    When the file has no [[views]] yet, the views in use are written first, so saving one search
    does not make the stock views disappear. The file is checked before it replaces the old one.
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    added = views_toml([view] if configured else [*current, view])
    text = old + ("\n" if old and not old.endswith("\n") else "") + added
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"cannot add the view: {exc}") from None
    views = parse_views(data.get("views"), [], me, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(path.name + ".saving")
    spare.write_text(text, encoding="utf-8")
    spare.replace(path)
    return views


def views_for(config: Config, channels: list[str]) -> list[View]:
    return parse_views(config.section("views"), channels, config.agent, config.path)
