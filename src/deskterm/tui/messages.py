"""Messages several screens listen to; a widget's own messages live on the widget."""

from __future__ import annotations

from textual.message import Message

from deskterm.sync.engine import AccountReport


class DataChanged(Message):
    """The store changed (an action here, or another process wrote): re-read what is shown."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DataChanged)


class SyncReported(Message):
    """One account finished a sync pass (from the sync engine's thread)."""

    def __init__(self, report: AccountReport) -> None:
        self.report = report
        super().__init__()


class PresenceChanged(Message):
    """Who else has which ticket open changed (team mode): {ticket: [(agent, doing), ...]}."""

    def __init__(self, others: dict[int, list[tuple[str, str]]]) -> None:
        self.others = others
        super().__init__()

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PresenceChanged)
