"""Small modal questions: a line of text, or one choice from a list."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from deskterm.tui import palette


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line; enter answers, escape cancels (None)."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, *, value: str = "", placeholder: str = "", hint: str = ""):
        super().__init__()
        self.title_text, self.value, self.placeholder, self.hint = title, value, placeholder, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Label(Text(self.title_text), classes="prompt-title")
            yield Input(value=self.value, placeholder=self.placeholder)
            if self.hint:
                muted = palette.colours(self.app.current_theme.dark)["muted"]
                yield Label(Text(self.hint, style=Style(color=muted)))

    def on_mount(self) -> None:
        # Now, not when the dialog is first shown: keys typed right after the key that opened it
        # belong here.
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickList(OptionList):
    """An option list that also moves with j and k, as the queue does."""

    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class ChoicePrompt(ModalScreen[str | None]):
    """Pick one of `choices` (label, value); escape cancels (None)."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], *, current: str | None = None):
        super().__init__()
        self.title_text, self.choices, self.current = title, choices, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Label(Text(self.title_text), classes="prompt-title")
            yield PickList(*(Option(Text(label), id=value) for label, value in self.choices))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [value for _, value in self.choices]
        if self.current in values:
            options.highlighted = values.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
