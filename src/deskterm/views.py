"""The TUI's config sections, validated: [[views]] (saved searches) and [tui] (behaviour).

Headless, so the command line checks them at start without importing the TUI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskterm.config import Config, ConfigError, Section, edit_settings_file
from deskterm.store.filters import FilterError, parse
from deskterm.store.queries import Sort

if TYPE_CHECKING:
    import tomlkit

AFTER_ACTION = ("next", "stay")
# What may raise a desktop notification: a ticket entering SLA breach or warning, and new
# customer mail on a ticket assigned to you.
DESKTOP_EVENTS = ("breach", "warning", "mine")


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
    desktop: tuple[str, ...] = ()


DEFAULT_VIEWS = (
    View("Queue", ""),
    View("Mine", "is:mine"),
    View("Unassigned", "is:unassigned"),
    View("Breached", "is:breached"),
    View("Escalated", "is:escalated"),
    View("Pending", "status:pending"),
)


def parse_configured_views(raw: Any, me: str, path: Path | None = None) -> tuple[View, ...] | None:
    """Validate [[views]] for agent `me`; None when the file has none (the stock views are used)."""
    if raw is None:
        return None
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
    return tuple(views)


def stock_views(channels: list[str]) -> list[View]:
    """The views a file without [[views]] gets: the stock ones plus one per channel, nine at most."""
    stock = list(DEFAULT_VIEWS)
    stock += [View(channel.capitalize(), f"channel:{channel}") for channel in channels]
    return stock[:9]


def parse_tui(raw: Any, path: Path | None = None) -> TuiSettings:
    """Validate [tui]; the defaults when the file has none."""
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
    desktop = raw.get("desktop", [])
    if not isinstance(desktop, list) or not set(desktop) <= set(DESKTOP_EVENTS):
        raise ConfigError(
            path, "tui.desktop", f"must be a list of {', '.join(map(repr, DESKTOP_EVENTS))}"
        )
    unknown = set(raw) - {"after_action", "bell", "desktop"}
    if unknown:
        raise ConfigError(path, "tui", f"unknown keys {', '.join(sorted(unknown))}")
    return TuiSettings(after_action=after, bell=bell, desktop=tuple(desktop))


VIEWS = Section("views", lambda raw, config: parse_configured_views(raw, config.agent, config.path))
TUI = Section("tui", lambda raw, config: parse_tui(raw, config.path))


def _view_table(view: View) -> tomlkit.items.Table:
    import tomlkit

    table = tomlkit.table()
    table.update({"name": view.name, "query": view.query, "sort": view.sort.value})
    return table


def save_view(path: Path, view: View, current: list[View]) -> list[View]:
    """Add `view` to the [[views]] of the settings file at `path`; returns the views it now has.

    When the file has no [[views]] yet, the views in use are written first, so saving one search
    does not make the stock views disappear. The rest of the file, comments included, stays as it
    was, and a file the change would break is not written.
    """

    def add(document: tomlkit.TOMLDocument) -> None:
        import tomlkit

        if "views" not in document:
            if document.body:
                document.add(tomlkit.nl())
            document.append("views", tomlkit.aot())
            for shown in current:
                document["views"].append(_view_table(shown))
        if not isinstance(document["views"], list):
            raise ConfigError(path, "views", "must be a list of tables, like [[views]]")
        document["views"].append(_view_table(view))

    config = edit_settings_file(path, add, lambda config: config.get(VIEWS))
    saved = config.get(VIEWS)
    return list(saved) if saved is not None else []


def views_for(config: Config, channels: list[str]) -> list[View]:
    """The views to show: the file's [[views]], else the stock ones."""
    configured = config.get(VIEWS)
    return list(configured) if configured is not None else stock_views(channels)
