"""The workflow header: tickets per stage, the oldest open ticket and each account's sync state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from deskterm.domain import AccountSync, Status, TicketLine
from deskterm.tui import palette
from deskterm.tui.widgets.queue_view import age, one_line

STAGE_ORDER = [s.value for s in Status]


@dataclass(frozen=True, slots=True)
class Overview:
    """What the header shows, read from the store in one go (in a worker)."""

    stages: dict[str, int] = field(default_factory=dict)
    oldest: TicketLine | None = None
    accounts: tuple[AccountSync, ...] = ()
    sync_enabled: bool = True


def stage_line(overview: Overview, now: datetime) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    for n, stage in enumerate(STAGE_ORDER):
        if n:
            line.append(" · ", style="dim")
        line.append(f"{stage.replace('_', ' ')} ", style="dim")
        line.append(str(overview.stages.get(stage, 0)), style="bold")
    if overview.oldest:
        line.append("   oldest open ", style="dim")
        line.append(f"#{overview.oldest.id} ", style="bold")
        line.append(age(overview.oldest.created_at, now))
    return line


def account_part(account: AccountSync, now: datetime, sync_enabled: bool) -> Text:
    """One account: a dot coloured by state, its name, last sync or its error, replies waiting
    in its outbox."""
    state = account.state or ("never synced" if sync_enabled else "")
    if not account.enabled:
        state = "disabled"
    part = Text()
    if account.last_error:
        part.append("✕ ", style="bold red")
        part.append(account.name, style="red")
        part.append(": " + one_line(account.last_error)[:60], style="red")
    else:
        online = state == "online"
        part.append("● " if online else "○ ", style="green" if online else "dim")
        part.append(account.name)
        if account.last_success_at:
            part.append(f" {age(account.last_success_at, now)}", style="dim")
        elif state:
            part.append(f" {state}", style="dim")
    # "outbox", as `deskterm outbox` says it: ↑ is the escalation level on a ticket's row.
    if account.outbox_waiting:
        part.append(f" outbox {account.outbox_waiting}", style="yellow")
    return part


def sync_line(overview: Overview, now: datetime) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    if not overview.accounts:
        line.append(
            "no accounts yet: deskterm account add email NAME ... (or try deskterm demo)",
            style="dim",
        )
    for n, account in enumerate(overview.accounts):
        if n:
            line.append("  ")
        line.append_text(account_part(account, now, overview.sync_enabled))
    if not overview.sync_enabled and overview.accounts:
        line.append("  (sync off)", style="dim")
    return line


class StatusHeader(Widget):
    """Two lines at the top of the queue: stages and oldest, then accounts."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 2; background: $boost; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    overview: reactive[Overview] = reactive(Overview, always_update=True)

    def __init__(self, now: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now = now

    def render(self) -> Text:
        now = self.now()
        text = Text("\n").join([stage_line(self.overview, now), sync_line(self.overview, now)])
        return palette.recolour(text, self.app.current_theme.dark)
