"""One line above the footer while a change is under way (a slow connector call, a locked file)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ActivityLine(Static):
    DEFAULT_CSS = """
    ActivityLine { height: 1; padding: 0 1; background: $boost; color: $text-warning; display: none; }
    ActivityLine.-busy { display: block; }
    """

    def show(self, status: str) -> None:
        """`status` from the job queue; '' hides the line."""
        self.set_class(bool(status), "-busy")
        self.update(Text("⏳ " + status if status else ""))
