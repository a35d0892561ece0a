"""Typed access to the workstation from its screens and widgets, instead of `self.app` as App[Any]."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

if TYPE_CHECKING:
    from deskterm.tui.app import DeskApp

ResultT = TypeVar("ResultT")


def desk_of(node: DOMNode) -> DeskApp:
    """The workstation `node` belongs to (every node of this package lives in a DeskApp)."""
    return cast("DeskApp", node.app)


class DeskScreen(Screen[ResultT]):
    """A screen of the workstation; its workers report to the app's one handler."""

    @property
    def desk(self) -> DeskApp:
        return desk_of(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The message does not bubble by itself.
        self.desk.on_worker_state_changed(event)


class DeskModal(ModalScreen[ResultT], DeskScreen[ResultT]):
    """A dialog of the workstation."""
