"""Textual Bindings made from the key specs in keymap.py, so screens never spell keys themselves."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from deskterm.keys import APP, SPECS

# The screens' keys are priority bindings: Textual settles those as each key arrives, so the keys
# typed right after one that moves the focus (/ opens the search line) go where the focus went.
# The screens switch them off while a text field has the focus (TicketActions.check_action).
# The app's keys (q, ?) are ordinary ones: typing in a field comes first. The composer's keys
# are chords ([keymap] refuses a letter there) and come before its text area's own, which would
# take ctrl+e as "end of line".
ORDINARY = (APP,)
# The key of a binding the user's [keymap] left without one: a name no terminal sends.
UNSENT_KEY = "deskterm_no_key"


def bindings(*scopes: str) -> list[BindingType]:
    """The bindings of `scopes`, each with its id so the user's keymap can rebind it."""
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.description,
            show=spec.show,
            id=spec.id,
            priority=spec.scope not in ORDINARY,
        )
        for spec in SPECS
        if spec.scope in scopes
    ]
