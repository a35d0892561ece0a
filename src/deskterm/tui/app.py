"""The workstation app: settings, the store, the clock, the sync engine and the first screen.

Small on purpose: screens hold the behaviour; this holds what they share, the one place where
background work reports back (`on_worker_state_changed`), and the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path

from textual import work
from textual.app import App
from textual.screen import ModalScreen
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from deskterm.config import Config
from deskterm.domain import utcnow
from deskterm.keys import APP, BY_ID, parse_keymap
from deskterm.macros import MacroSet, app_keys, load_macros
from deskterm.sla import clocks
from deskterm.store import Store, open_store, queries
from deskterm.sync.engine import AccountReport, Watcher
from deskterm.tui import clock, jobs
from deskterm.tui.bindings import bindings
from deskterm.tui.commands import DeskCommands
from deskterm.tui.messages import DataChanged, SyncReported
from deskterm.tui.screens.help import HelpScreen
from deskterm.tui.screens.queue import QueueScreen
from deskterm.tui.screens.ticket import TicketScreen
from deskterm.tui.settings import parse_tui, views_for
from deskterm.tui.widgets.activity import ActivityLine

TICK_SECONDS = 1.0
# How often the SLA states that change with time alone (warning, breach, snooze end) are stored.
SLA_TICK_SECONDS = 30.0
CROSSINGS = "sla-crossings"
# A change that takes longer than this shows a line saying what is under way.
ACTIVITY_DELAY = 0.25


class DeskApp(App[None]):
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
        # The UI thread's own connection, for page reads; everything else opens `connection()`.
        self.store: Store = open_store(self.store_path)
        self.now = now or utcnow
        self.zone: tzinfo = zone or datetime.now().astimezone().tzinfo or UTC
        self.actor = f"agent:{config.agent}"
        channels = [a["channel"] for a in queries.accounts(self.store)]
        self.views = views_for(config, list(dict.fromkeys(channels)))
        # Set once a view was saved here: the file has [[views]] now, whatever it had at start.
        self.views_saved = False
        self.sync_enabled = sync
        self.macros = macro_set if macro_set is not None else load_macros(reserved=app_keys(config))
        # What u reverts, newest last: ("agent", "") or ("macro", name).
        self.undo_stack: list[tuple[str, str]] = []
        self.jobs = jobs.Jobs(self, self.connection)
        self._watcher: Watcher | None = None
        self._data_version = self.store.data_version()
        self._last_tick = self.now()
        self.crossings = clock.CrossingWatch(self._last_tick)

    def on_mount(self) -> None:
        for problem in self.macros.problems:
            self.notify(str(problem), title="Macros", severity="warning", timeout=8)
        # Only the rebound ids: Textual re-applies the keymap on every key press.
        self.set_keymap({i: k for i, k in self.user_keymap.items() if k != BY_ID[i].keys})
        self.queue_screen = QueueScreen(self.views)
        self.push_screen(self.queue_screen)
        self.set_interval(TICK_SECONDS, self.tick)
        if self.sla_tick:
            self.store_sla_states()
            self.set_interval(SLA_TICK_SECONDS, self.store_sla_states)
        if self.sync_enabled:
            self.start_sync()

    def start_sync(self) -> None:
        def report(account: AccountReport) -> None:
            self.post_message(SyncReported(account))

        self._watcher = Watcher(self.store_path, on_report=report, now=self.now)
        self._watcher.start()

    def kick_sync(self) -> None:
        """Something waits in the outbox: let the sync engine send it now, not at its next poll."""
        if self._watcher is not None:
            self._watcher.kick()

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

    # Background work: every worker of the app ends here (screens forward theirs).

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place background work reports back; a failure is said, and work goes on."""
        worker = event.worker
        if worker.is_finished and worker.group == jobs.GROUP:
            self.jobs.ended(worker)
            self.show_activity()
        elif worker.is_finished and worker.group == CROSSINGS:
            found = worker.result if event.state == WorkerState.SUCCESS else None
            self.crossings.settle(found)
            if found is not None:
                self._announce(found.crossed)
        if event.state == WorkerState.ERROR:
            self.notify(
                f"{worker.group}: {worker.error}",
                title="Background work failed",
                severity="error",
            )

    def submit(self, job: jobs.Job) -> None:
        """Run a change in the background, after those asked for before it."""
        self.jobs.submit(job)
        self.set_timer(ACTIVITY_DELAY, self.show_activity)

    def show_activity(self) -> None:
        status = self.jobs.status()
        for screen in self.screen_stack:
            for line in screen.query(ActivityLine):
                line.show(status)

    @work(thread=True, exclusive=True, group="sla", exit_on_error=False)
    def store_sla_states(self) -> None:
        """Record warnings, breaches and ended snoozes; the data_version poll shows the result."""
        with self.connection() as store:
            clocks.tick(store, self.now())

    # The clock

    def tick(self) -> None:
        """Every second: notice outside writes, announce crossings, let the screens move clocks."""
        now = self.now()
        if now - self._last_tick > clock.LONG_SLEEP:
            self.crossings.skip_to(now)
        self._last_tick = now
        version = self.store.data_version()
        if version != self._data_version:
            self.crossings.stale = True
            self.data_changed()
        if self.crossings.due(now):
            self.run_worker(
                partial(self._read_crossings, self.crossings.start(), now),
                group=CROSSINGS,
                thread=True,
                exit_on_error=False,
            )
        if self.jobs.current is not None:
            self.show_activity()
        # The top screen's clocks move, and those of the screen under a dialog, which shows through.
        for screen in reversed(self.screen_stack):
            screen_tick = getattr(screen, "tick", None)
            if screen_tick is not None:
                screen_tick()
            if not isinstance(screen, ModalScreen):
                break

    def _read_crossings(self, since: datetime, until: datetime) -> clock.Crossings:
        with self.connection() as store:
            return clock.read(store, since, until)

    def _announce(self, crossed: list[dict]) -> None:
        """A notification (and the bell, if asked for) when a ticket enters warning or breach."""
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

    # Navigation and what the screens share

    def open_ticket(self, ticket_id: int, *, compose: str | None = None) -> AwaitMount:
        """Open a ticket; awaiting the answer waits until the screen (and its composer) is ready."""
        return self.push_screen(TicketScreen(ticket_id, compose=compose))

    def switch_ticket(self, ticket_id: int) -> None:
        self.switch_screen(TicketScreen(ticket_id))

    def macro_entries(self) -> list[tuple[str, str, str]]:
        """(key, name, description) of every macro, for the help screen and the palette."""
        keys = {name: key for key, name in self.macros.keys.items()}
        return [(keys.get(m.name, ""), m.name, m.description) for m in self.macros]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            views = [view.name for view in self.views]
            self.push_screen(HelpScreen(self.user_keymap, self.macro_entries(), views))


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
