"""The footer that keeps `q` and `?` on a narrow screen: the screen's keys go, last first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

# Always shown: how to leave, and where every other key is listed (their actions).
KEPT = ("quit", "help")
# The command palette's key sits at the right edge: '▏^p Commands '.
PALETTE_CELLS = 15


def key_cells(key: Widget) -> int:
    """The cells one key takes in the footer: ' key description '."""
    return len(getattr(key, "key_display", "")) + len(getattr(key, "description", "")) + 3


class DeskFooter(Footer):
    """Textual's footer fitted to the width: when the keys do not all fit, the screen's least
    everyday keys (the last listed) are left out first, never quit and help."""

    # The screen width the keys were last fitted to.
    fitted = 0

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        palette = [k for k in keys if k.has_class("-command-palette")]
        keys = [k for k in keys if k not in palette]
        self.fitted = self.app.size.width
        room = self.fitted - (PALETTE_CELLS if palette else 0)
        while sum(map(key_cells, keys)) > room:
            droppable = [n for n, k in enumerate(keys) if getattr(k, "action", "") not in KEPT]
            if not droppable:
                break
            del keys[droppable[-1]]
        yield from keys
        yield from palette

    def on_resize(self) -> None:
        if self.app.size.width != self.fitted:
            self.call_after_refresh(self.recompose)
