"""The macro palette: find a macro, read its rendered preview and steps, then apply it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskterm import macros
from deskterm.content import sanitize


def preview_text(item: macros.Macro, store, ticket_id: int, app) -> tuple[Text, bool]:
    """The rendered reply or note and the list of steps; False when the macro cannot apply."""
    try:
        shown = macros.preview(
            item, store, ticket_id, app.config.agent, config=app.config, now=app.now()
        )
    except macros.MacroError as exc:
        return Text(str(exc), style="bold red"), False
    steps = Text("\n").join(
        Text(f"{n}. {step.describe()}", style="dim" if step.skip else "")
        for n, step in enumerate(shown.steps, start=1)
    )
    parts = [
        Text(item.description or item.name, style="bold"),
        Text(""),
        Text(sanitize(shown.text) or "(no message)", style="" if shown.text else "dim"),
        Text(""),
        Text("Steps", style="bold underline"),
        steps,
        Text(""),
        Text(f"afterwards: {item.after} ticket", style="dim"),
    ]
    return Text("\n").join(parts), True


class MacroPalette(ModalScreen[str | None]):
    """Type to filter; the highlighted macro is previewed on this ticket; enter applies it."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="macros.cancel"),
        Binding("down", "move(1)", show=False, id="macros.down"),
        Binding("up", "move(-1)", show=False, id="macros.up"),
    ]

    def __init__(self, macro_set: macros.MacroSet, ticket_id: int, *, chosen: str | None = None):
        super().__init__()
        self.macro_set, self.ticket_id, self.chosen = macro_set, ticket_id, chosen
        self.shown: list[macros.Macro] = []
        self.applicable = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt macros"):
            yield Label(Text(f"Macros for #{self.ticket_id}", style="bold"))
            yield Input(placeholder="type to filter, enter applies, esc cancels")
            with Horizontal():
                yield OptionList(id="macro-list")
                with VerticalScroll(id="macro-preview"):
                    yield Static(id="macro-preview-text")

    def on_mount(self) -> None:
        self._fill("")
        if self.chosen:
            names = [m.name for m in self.shown]
            if self.chosen in names:
                self.query_one(OptionList).highlighted = names.index(self.chosen)
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        self.shown = self.macro_set.search(query) if query.strip() else list(self.macro_set)
        options = self.query_one(OptionList)
        options.clear_options()
        for item in self.shown:
            label = Text.assemble((f"{item.key or ' ':>3} ", "bold"), item.name)
            options.add_option(Option(label, id=item.name))
        if self.shown:
            options.highlighted = 0
        else:
            self.query_one("#macro-preview-text", Static).update(Text("No macro matches."))

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        item = self.macro_set.get(event.option.id)
        text, self.applicable = preview_text(item, self.app.store, self.ticket_id, self.app)
        self.query_one("#macro-preview-text", Static).update(text)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(current + step, options.option_count - 1))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._choose()

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self._choose()

    def _choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.applicable:
            self.notify("This macro cannot be applied to this ticket", severity="error")
            return
        self.dismiss(self.shown[options.highlighted].name)

    def action_cancel(self) -> None:
        self.dismiss(None)
