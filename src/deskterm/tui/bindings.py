"""Textual Bindings made from the key specs in keymap.py, so screens never spell keys themselves."""

from __future__ import annotations

from textual.binding import Binding

from deskterm.tui.keymap import SPECS


def bindings(*scopes: str) -> list[Binding]:
    """The bindings of `scopes`, each with its id so the user's keymap can rebind it."""
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.description,
            show=spec.show,
            id=spec.id,
        )
        for spec in SPECS
        if spec.scope in scopes
    ]
