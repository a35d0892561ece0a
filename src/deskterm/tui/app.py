"""The workstation app: settings, the store, the clock, the sync engine and the first screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from textual import events, work
from textual.app import App
from textual.screen import ModalScreen
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerState

from deskterm.config import Config
from deskterm.domain import utcnow
from deskterm.macros import MacroSet, app_keys, load_macros
from deskterm.sla import clocks
from deskterm.store import Store, open_store, queries
from deskterm.sync.engine import Watcher
from deskterm.tui.bindings import bindings
from deskterm.tui.commands import DeskCommands
from deskterm.tui.keymap import APP, BY_ID, parse_keymap
from deskterm.tui.messages import DataChanged, SyncReported
from deskterm.tui.screens.help import HelpScreen
from deskterm.tui.screens.queue import QueueScreen
from deskterm.tui.screens.ticket import TicketScreen
from deskterm.tui.settings import parse_tui, views_for
from deskterm.tui.widgets.header import Overview

TICK_SECONDS = 1.0
# How often the SLA states that change with time alone (warning, breach, snooze end) are stored.
SLA_TICK_SECONDS = 30.0


class DeskApp(App):
    """Small on purpose: screens hold the behaviour, this holds what they share."""

    CSS_PATH = "app.tcss"
    TITLE = "deskterm"
    BINDINGS = bindings(APP)
    COMMANDS = App.COMMANDS | {DeskCommands}

    def __init__(
        self,
        store_path: Path,
        config: Config,
        *,
        sync: bool = True,
        now: Callable[[], datetime] | None = None,
        zone: tzinfo | None = None,
        macro_set: MacroSet | None = None,
        sla_tick: bool = True,
    ) -> None:
        super().__init__()
        self.sla_tick = sla_tick
        self.config = config
        self.settings = parse_tui(config.section("tui"), config.path)
        self.user_keymap = parse_keymap(config.section("keymap"), config.path)
        self.store_path = Path(store_path)
        self.store: Store = open_store(self.store_path)
        self.now = now or utcnow
        self.zone = zone or datetime.now().astimezone().tzinfo
        self.actor = f"agent:{config.agent}"
        channels = [a["channel"] for a in queries.accounts(self.store)]
        self.views = views_for(config, list(dict.fromkeys(channels)))
        # Set once a view was saved here: the file has [[views]] now, whatever it had at start.
        self.views_saved = False
        self.sync_enabled = sync
        self.macros = macro_set if macro_set is not None else load_macros(reserved=app_keys(config))
        # What u reverts, newest last: ("agent", "") or ("macro", name).
        self.undo_stack: list[tuple[str, str]] = []
        self._watcher: Watcher | None = None
        self._data_version = self.store.data_version()
        self._last_tick = self.now()

    async def on_event(self, event: events.Event) -> None:
        # Textual runs a key's binding only once the key has bubbled back up from the focused
        # widget; by then the rest of a fast burst is already queued on that widget. Outside
        # text fields, settle each key's binding here, in arrival order, so "/" has moved the
        # focus to the search line before "tag:wismo" arrives (else t, a, g, w would act).
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and not isinstance(self.focused, Input | TextArea)
            and (
                await self._check_bindings(event.key, priority=True)
                or await self._check_bindings(event.key)
            )
        ):
            return
        await super().on_event(event)

    def on_mount(self) -> None:
        for problem in self.macros.problems:
            self.notify(str(problem), title="Macros", severity="warning", timeout=8)
        # Only the rebound ids: Textual re-applies the keymap on every key press.
        self.set_keymap({i: k for i, k in self.user_keymap.items() if k != BY_ID[i].keys})
        self.queue_screen = QueueScreen(self.views)
        self.push_screen(self.queue_screen)
        self.set_interval(TICK_SECONDS, self._tick)
        if self.sla_tick:
            self.store_sla_states()
            self.set_interval(SLA_TICK_SECONDS, self.store_sla_states)
        if self.sync_enabled:
            self._start_sync()

    def _start_sync(self) -> None:
        self._watcher = Watcher(
            self.store_path,
            on_report=lambda report: self.post_message(SyncReported(report)),
            now=self.now,
        )
        self._watcher.start()

    def kick_sync(self) -> None:
        """Something waits in the outbox: let the sync engine send it now, not at its next poll."""
        if self._watcher is not None:
            self._watcher.kick()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A background job failed (e.g. the file is locked too long): say so, keep working.

        Screens forward their workers' events here; the message does not bubble by itself.
        """
        if event.state == WorkerState.ERROR:
            self.notify(
                f"{event.worker.group}: {event.worker.error}",
                title="Background work failed",
                severity="error",
            )

    def on_sync_reported(self, message: SyncReported) -> None:
        if message.report.error:
            self.notify(
                message.report.error, title=f"Sync: {message.report.account}", severity="warning"
            )

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop(timeout=2)
        self.store.close()

    @contextmanager
    def connection(self) -> Iterator[Store]:
        """A connection of a worker's own, opened and closed on its thread.

        Never shared: closing a connection another thread is reading from crashes SQLite, and the
        app may close while a worker still counts.
        """
        store = open_store(self.store_path)
        try:
            yield store
        finally:
            store.close()

    def read_overview(self, store: Store) -> Overview:
        return Overview(
            stages=queries.stage_counts(store),
            oldest=queries.oldest_active(store),
            accounts=tuple(queries.sync_overview(store)),
            sync_enabled=self.sync_enabled,
        )

    @work(thread=True, exclusive=True, group="sla", exit_on_error=False)
    def store_sla_states(self) -> None:
        """Record warnings, breaches and ended snoozes; the data_version poll shows the result."""
        with self.connection() as store:
            clocks.tick(store, self.now())

    def _tick(self) -> None:
        """Every second: notice outside writes, announce breaches, let the screen move its clocks."""
        now = self.now()
        version = self.store.data_version()
        if version != self._data_version:
            self._data_version = version
            self.data_changed()
        self._announce_crossings(self._last_tick, now)
        self._last_tick = now
        # The top screen's clocks move, and those of the screen under a dialog, which shows through.
        for screen in reversed(self.screen_stack):
            tick = getattr(screen, "tick", None)
            if tick is not None:
                tick()
            if not isinstance(screen, ModalScreen):
                break

    def _announce_crossings(self, since: datetime, now: datetime) -> None:
        """A notification (and the bell, if asked for) when a ticket enters warning or breach."""
        if now - since > timedelta(minutes=5):
            # After a long sleep (laptop lid) a flood of old crossings says nothing useful.
            return
        crossed = queries.sla_crossings(self.store, since, now)
        for row in crossed[:3]:
            breached = row["crossed"] == "breached"
            self.notify(
                f"#{row['id']} "
                + ("passed its SLA deadline" if breached else "is close to its SLA deadline"),
                title="SLA breach" if breached else "SLA warning",
                severity="error" if breached else "warning",
            )
        if len(crossed) > 3:
            self.notify(f"and {len(crossed) - 3} more", title="SLA", severity="warning")
        if crossed and self.settings.bell:
            self.bell()

    def data_changed(self) -> None:
        """Tell every screen on the stack to re-read what it shows."""
        self._data_version = self.store.data_version()
        for screen in self.screen_stack:
            screen.post_message(DataChanged())

    def open_ticket(self, ticket_id: int, *, compose: str | None = None) -> None:
        self.push_screen(TicketScreen(ticket_id, compose=compose))

    def switch_ticket(self, ticket_id: int) -> None:
        self.switch_screen(TicketScreen(ticket_id))

    def macro_entries(self) -> list[tuple[str, str, str]]:
        """(key, name, description) of every macro, for the help screen and the palette."""
        keys = {name: key for key, name in self.macros.keys.items()}
        return [(keys.get(m.name, ""), m.name, m.description) for m in self.macros]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(
    store_path: Path,
    config: Config,
    *,
    sync: bool = True,
    now: Callable[[], datetime] | None = None,
    zone: tzinfo | None = None,
    macro_set: MacroSet | None = None,
    sla_tick: bool = True,
) -> DeskApp:
    """The app as the CLI and the tests build it; config errors raise here, before the screen."""
    return DeskApp(
        store_path, config, sync=sync, now=now, zone=zone, macro_set=macro_set, sla_tick=sla_tick
    )


def run(
    store_path: Path,
    config: Config,
    *,
    sync: bool = True,
    now: Callable[[], datetime] | None = None,
) -> None:
    """Open the workstation on the database at `store_path` until the agent quits."""
    make_app(store_path, config, sync=sync, now=now).run()
