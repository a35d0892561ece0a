"""The line of views under the header: number key, name and count, the active one highlighted;
how many tickets are marked; the sort."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from deskterm.views import View


class ViewsBar(Widget):
    DEFAULT_CSS = """
    ViewsBar { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    active: reactive[int | None] = reactive(0)
    counts: reactive[dict[int | None, int]] = reactive(dict, always_update=True)
    search: reactive[str] = reactive("")
    sort: reactive[str] = reactive("deadline")
    # How many tickets are marked for a bulk change.
    marked: reactive[int] = reactive(0)

    def __init__(self, views: list[View], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.views = views

    def render(self) -> Text:
        """Every view with its name; on a narrow screen the other views shrink to their key and
        count, then to their key, so the view shown and the sort always fit."""
        room = self.size.width
        for detail in ("name", "count", "key"):
            line = self._line(detail)
            if line.cell_len <= room:
                break
        return line

    def _line(self, detail: str) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        # The search comes first: it is what the queue shows.
        if self.search:
            search = Text.assemble(("/ ", "bold"), self.search)
            if None in self.counts:
                search.append(f" {self.counts[None]}", style="bold")
            search.stylize("reverse")
            line.append_text(search)
            line.append("  ")
        for n, view in enumerate(self.views):
            active = n == self.active
            if n >= 9 and detail != "name" and not active:
                continue
            label = Text()
            if n < 9:
                label.append(f"{n + 1}", style="dim")
            named = active or detail == "name"
            if named:
                label.append(" " + view.name)
            if n in self.counts and (named or detail != "key"):
                label.append(f"{' ' if named else ':'}{self.counts[n]}", style="bold")
            if active:
                label.stylize("reverse")
            line.append_text(label)
            line.append("  ")
        if self.marked:
            line.append(f"✓ {self.marked} marked", style="bold reverse")
            line.append("  ")
        line.append(f"sort: {self.sort}", style="dim")
        return line
