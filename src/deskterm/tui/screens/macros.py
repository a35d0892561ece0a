"""The macro palette: find a macro, read its rendered preview and steps, then apply it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskterm import macros
from deskterm.content import sanitize
from deskterm.triage.suggest import Suggestion
from deskterm.tui.desk import DeskModal


@dataclass(frozen=True, slots=True)
class Chosen:
    """The macro the agent chose, with what its preview showed."""

    name: str
    text: str
    needs_confirmation: bool
    # It writes to the customer: applied to many tickets at once, that is asked first.
    replies: bool = False


def preview_text(item: macros.Macro, shown: macros.Preview) -> Text:
    """The rendered reply or note and the list of steps."""
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
    return Text("\n").join(parts)


class MacroPalette(DeskModal[Chosen | None]):
    """Type to filter; the highlighted macro is previewed on this ticket; enter applies it."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="macros.cancel"),
        Binding("down", "move(1)", show=False, id="macros.down"),
        Binding("up", "move(-1)", show=False, id="macros.up"),
    ]

    def __init__(
        self,
        macro_set: macros.MacroSet,
        ticket_id: int,
        *,
        chosen: str | None = None,
        suggested: Sequence[Suggestion] = (),
    ):
        super().__init__()
        self.macro_set, self.ticket_id, self.chosen = macro_set, ticket_id, chosen
        # Offered first, with why, until the agent types (deskterm.triage.suggest).
        self.suggested = {s.name: s.reason for s in suggested if s.name in macro_set.macros}
        self.shown: list[macros.Macro] = []
        # The preview on screen, once its worker answered: None while it is being rendered.
        self.previewed: macros.Preview | None = None
        # The highlighted macro cannot apply to this ticket (its preview said why).
        self.failed = False
        # Enter was pressed before the preview arrived: choose as soon as it does.
        self.choose_when_previewed = False

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
        if query.strip():
            self.shown = self.macro_set.search(query)
        else:
            first = [self.macro_set.get(name) for name in self.suggested]
            self.shown = first + [m for m in self.macro_set if m.name not in self.suggested]
        options = self.query_one(OptionList)
        options.clear_options()
        for item in self.shown:
            label = Text.assemble((f"{item.key or ' ':>3} ", "bold"), item.name)
            if item.name in self.suggested and not query.strip():
                label.append(f"  {self.suggested[item.name]}", style="dim")
            options.add_option(Option(label, id=item.name))
        if self.shown:
            options.highlighted = 0
        else:
            self.previewed, self.failed = None, True
            self.query_one("#macro-preview-text", Static).update(Text("No macro matches."))

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.previewed, self.failed = None, False
        if event.option.id is not None:
            self.render_preview(self.macro_set.get(event.option.id))

    @work(thread=True, exclusive=True, group="macro-preview", exit_on_error=False)
    def render_preview(self, item: macros.Macro) -> None:
        """Render the macro on this ticket (placeholders read the ticket, customer and orders)."""
        desk = self.desk
        with desk.connection() as store:
            try:
                shown: macros.Preview | str = macros.preview(
                    item,
                    store,
                    self.ticket_id,
                    desk.config.agent,
                    config=desk.config,
                    now=desk.now(),
                )
            except macros.MacroError as exc:
                shown = str(exc)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_preview, item, shown)

    def _show_preview(self, item: macros.Macro, shown: macros.Preview | str) -> None:
        text = self.query_one("#macro-preview-text", Static)
        if isinstance(shown, str):
            text.update(Text(shown, style="bold red"))
            self.failed = True
            if self.choose_when_previewed:
                self._choose()
            return
        self.previewed = shown
        text.update(preview_text(item, shown))
        if self.choose_when_previewed:
            self._choose()

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
        self.choose_when_previewed = False
        if options.highlighted is None or self.failed:
            self.notify("This macro cannot be applied to this ticket", severity="error")
            return
        item = self.shown[options.highlighted]
        shown = self.previewed
        if shown is None or shown.macro.name != item.name:
            self.choose_when_previewed = True
            return
        replies = any(step.kind == "reply" and not step.skip for step in shown.steps)
        self.dismiss(Chosen(item.name, shown.text, shown.needs_confirmation, replies))

    def action_cancel(self) -> None:
        self.dismiss(None)
