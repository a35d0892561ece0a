"""The line of views under the header: number key, name and count; the active one highlighted."""

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

    def __init__(self, views: list[View], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.views = views

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        # The search comes first: it is what the queue shows, and the views may not all fit.
        if self.search:
            search = Text.assemble(("/ ", "bold"), self.search)
            if None in self.counts:
                search.append(f" {self.counts[None]}", style="bold")
            search.stylize("reverse")
            line.append_text(search)
            line.append("  ")
        for n, view in enumerate(self.views):
            label = Text()
            if n < 9:
                label.append(f"{n + 1} ", style="dim")
            label.append(view.name)
            if n in self.counts:
                label.append(f" {self.counts[n]}", style="bold")
            if n == self.active:
                label.stylize("reverse")
            line.append_text(label)
            line.append("  ")
        line.append(f"sort: {self.sort}", style="dim")
        return line
