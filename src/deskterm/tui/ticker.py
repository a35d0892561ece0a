"""The app's second: notice outside writes, store and announce SLA crossings, move the clocks.

Everything that reads or writes more than a page runs in a worker; the second itself costs a
`PRAGMA data_version`, a comparison and the redraw of the visible rows whose countdown moved.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual.screen import ModalScreen
from textual.worker import Worker, WorkerState

from deskterm import automation
from deskterm.domain import NewMail, SlaCrossing
from deskterm.notices import clock, desktop
from deskterm.sla import clocks

if TYPE_CHECKING:
    from deskterm.tui.app import DeskApp

TICK_SECONDS = 1.0
# How often the SLA states that change with time alone (warning, breach, snooze end) are stored.
SLA_TICK_SECONDS = 30.0
CROSSINGS = "sla-crossings"
SLA_STATES = "sla"
DESKTOP = "desktop"


class Ticker:
    def __init__(self, app: DeskApp) -> None:
        self.app = app
        self._last = app.now()
        self._data_version = app.store.data_version()
        self.crossings = clock.watching_from(app.store, self._last)

    def start(self, *, store_sla_states: bool) -> None:
        self.app.set_interval(TICK_SECONDS, self.tick)
        if store_sla_states:
            self.store_sla_states()
            self.app.set_interval(SLA_TICK_SECONDS, self.store_sla_states)

    def tick(self) -> None:
        """Every second: notice outside writes, announce crossings, let the screens move clocks."""
        app = self.app
        now = app.now()
        if now - self._last > clock.LONG_SLEEP:
            self.crossings.skip_to(now)
        self._last = now
        # While a change of ours runs, its writes are not news: the change refreshes the screens
        # when it is done, after the screen that asked for it has moved on (a refresh in between
        # would put the cursor back on the ticket just finished).
        if app.jobs.current is None and app.store.data_version() != self._data_version:
            app.data_changed()
        if self.crossings.due(now):
            app.run_worker(
                partial(self._read_crossings, self.crossings.start(), now),
                group=CROSSINGS,
                thread=True,
                exit_on_error=False,
            )
        if app.jobs.current is not None:
            app.show_activity()
        # The top screen's clocks move, and those of the screen under a dialog, which shows through.
        for screen in reversed(app.screen_stack):
            screen_tick = getattr(screen, "tick", None)
            if screen_tick is not None:
                screen_tick()
            if not isinstance(screen, ModalScreen):
                break

    def seen(self) -> None:
        """The app re-reads what it shows now: writes up to here are not news at the next tick,
        but they may have moved a deadline, so the next crossing is read again."""
        self._data_version = self.app.store.data_version()
        self.crossings.stale = True

    def store_sla_states(self) -> None:
        """Record warnings, breaches and ended snoozes; the data_version poll shows the result."""
        self.app.run_worker(
            self._store_sla_states,
            group=SLA_STATES,
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _store_sla_states(self) -> None:
        with self.app.connection() as store:
            clocks.tick(store, self.app.now())
            automation.tick(store, self.app.now())

    def _read_crossings(self, since: datetime, until: datetime) -> clock.Crossings:
        mine = self.app.config.agent if "mine" in self.app.settings.desktop else None
        with self.app.connection() as store:
            return clock.read(store, since, until, mine, self.crossings.mail_after)

    def ended(self, worker: Worker) -> None:
        """A worker of CROSSINGS finished (the app's worker handler hands it over)."""
        found = worker.result if worker.state == WorkerState.SUCCESS else None
        self.crossings.settle(found)
        if found is not None:
            self._announce(found.crossed)
            self._announce_mail(found.mail)

    def _announce(self, crossed: list[SlaCrossing]) -> None:
        """A notification (and the bell, if asked for) when a ticket enters warning or breach."""
        app = self.app
        for row in crossed[:3]:
            breached = row.crossed == "breached"
            app.notify(
                f"#{row.id} "
                + ("passed its SLA deadline" if breached else "is close to its SLA deadline"),
                title="SLA breach" if breached else "SLA warning",
                severity="error" if breached else "warning",
            )
        if len(crossed) > 3:
            app.notify(f"and {len(crossed) - 3} more", title="SLA", severity="warning")
        if crossed and app.settings.bell:
            app.bell()
        for title, text in desktop.notifications(crossed, [], app.settings.desktop):
            self._desktop(title, text)

    def _announce_mail(self, mail: list[NewMail]) -> None:
        """New customer mail on the agent's own tickets ([tui] desktop = ["mine"])."""
        if not mail:
            return
        self.app.notify(desktop.mail_text(mail), title=desktop.MAIL_TITLE)
        for title, text in desktop.notifications([], mail, ["mine"]):
            self._desktop(title, text)

    def _desktop(self, title: str, text: str) -> None:
        """A desktop notification, without waiting for it."""
        program = desktop.notify_send()
        if program is not None:
            self.app.run_worker(
                partial(desktop.send, program, title, text),
                group=DESKTOP,
                thread=True,
                exit_on_error=False,
            )
        else:
            self.app.terminal_write(desktop.terminal_sequence(title, text))
