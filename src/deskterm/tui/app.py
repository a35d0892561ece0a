"""The workstation app: settings, the store, the clock, the sync engine and the first screen.

Small on purpose: screens hold the behaviour; this holds what they share and the one place where
background work reports back (`on_worker_state_changed`). The clock is in ticker.py, the queue of
changes in jobs.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from deskterm import actions
from deskterm.config import Config
from deskterm.domain import local_zone, utcnow
from deskterm.keys import APP, BY_ID, KEYMAP
from deskterm.macros import MacroSet, app_keys, load_macros
from deskterm.metrics.settings import METRICS
from deskterm.sla import clocks
from deskterm.sla.settings import SLA
from deskterm.store import Store, open_store, queries
from deskterm.store import team as team_rows
from deskterm.sync.engine import AccountReport, Watcher
from deskterm.team.roster import TEAM
from deskterm.tui import hangup, jobs, ticker
from deskterm.tui.bindings import UNSENT_KEY, bindings
from deskterm.tui.commands import DeskCommands
from deskterm.tui.handling import HandleClock
from deskterm.tui.kb_watch import KnowledgeWatch
from deskterm.tui.messages import DataChanged, PresenceChanged, SyncReported
from deskterm.tui.screens.help import HelpScreen
from deskterm.tui.screens.queue import QueueScreen
from deskterm.tui.screens.ticket import TicketScreen
from deskterm.tui.widgets.activity import ActivityLine
from deskterm.tui.widgets.composer import Composer
from deskterm.views import TUI, views_for

if TYPE_CHECKING:
    from deskterm.connector_calls import Call
    from deskterm.team.beacon import Beacon

# A change that takes longer than this shows a line saying what is under way.
ACTIVITY_DELAY = 0.25
# How often the terminal's input is polled for a hang-up.
HANGUP_CHECK_SECONDS = 1.0


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
        self.settings = config.get(TUI)
        # The clocks use the [sla] of the file read at start, checked before anything is shown.
        clocks.use_policies(config.get(SLA))
        self.user_keymap = config.get(KEYMAP)
        # Groups and the cap of open tickets per agent, for take next ([team]).
        self.team_settings = config.get(TEAM)
        self.store_path = Path(store_path)
        # The UI thread's own connection, for page reads; everything else opens `connection()`.
        self.store: Store = open_store(self.store_path)
        self.now = now or utcnow
        self.zone: tzinfo = zone or local_zone()
        self.actor = f"agent:{config.agent}"
        channels = [a.channel for a in queries.accounts(self.store)]
        self.views = views_for(config, list(dict.fromkeys(channels)))
        self.sync_enabled = sync
        self.macros = macro_set if macro_set is not None else load_macros(reserved=app_keys(config))
        # What u reverts, newest last: ("agent", ""), ("macro", name) or ("batch", id).
        self.undo_stack: list[tuple[str, str]] = []
        self.jobs = jobs.Jobs(self, self.connection, self.show_activity)
        self._watcher: Watcher | None = None
        # Team mode: what this agent has open goes to the others, and theirs comes here.
        self.in_team = team_rows.meta_get(self.store.conn, team_rows.TEAM_URL) is not None
        self._beacon: Beacon | None = None
        self.others: dict[int, list[tuple[str, str]]] = {}
        self.ticker = ticker.Ticker(self)
        self.kb_watch = KnowledgeWatch(self)
        self._forget_sighup: Callable[[], None] = lambda: None
        idle = config.get(METRICS).idle.total_seconds()
        self.handling = HandleClock(idle, self.now, self._record_handling)

    def on_mount(self) -> None:
        for problem in self.macros.problems:
            self.notify(str(problem), title="Macros", severity="warning", timeout=8)
        # Only the rebound ids: Textual re-applies the keymap on every key press. A default the
        # user's keys displaced entirely gets a key no terminal sends (Textual keeps a binding
        # whose keymap entry is empty).
        self.set_keymap(
            {i: k or UNSENT_KEY for i, k in self.user_keymap.items() if k != BY_ID[i].keys}
        )
        self.queue_screen = QueueScreen(self.views)
        self.push_screen(self.queue_screen)
        self.ticker.start(store_sla_states=self.sla_tick)
        self.kb_watch.start()
        self._forget_sighup = hangup.on_sighup(self.hang_up)
        self.set_interval(HANGUP_CHECK_SECONDS, self.check_terminal)
        if self.in_team:
            # Only team replicas load team mode (and psycopg with it).
            from deskterm.team.beacon import Beacon

            self._beacon = Beacon(self.store_path, self._heard, now=self.now)
        if self.sync_enabled:
            self.start_sync()  # the beacon rides the team sync's connection
        elif self._beacon is not None:
            self._beacon.start()  # no sync here: the beacon keeps a connection of its own

    def get_key_display(self, binding: Binding) -> str:
        return "" if binding.key == UNSENT_KEY else super().get_key_display(binding)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification, always as plain text: messages carry what the agent typed, customer
        text and server errors ("[AUTHENTICATIONFAILED]"), so no caller gets markup here."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def terminal_write(self, sequence: str) -> None:
        """Write a control sequence to the terminal (as App.bell does; Textual has no public way)."""
        if self._driver is not None:
            self._driver.write(sequence)

    def start_sync(self) -> None:
        def report(account: AccountReport) -> None:
            self.post_message(SyncReported(account))

        def settled(call: Call) -> None:
            # A refund or cancel this machine left unfinished, settled with the channel.
            self.call_from_thread(self.notify, call.summary, title="Connector call")

        self._watcher = Watcher(
            self.store_path,
            on_report=report,
            now=self.now,
            team_rider=self._beacon,
            on_call=settled,
        )
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

    def here(self, ticket_id: int, doing: str = "viewing") -> None:
        """Show the team this agent has `ticket_id` open (team mode; returns at once)."""
        if self._beacon is not None:
            self._beacon.show(ticket_id, doing)

    def gone(self, ticket_id: int) -> None:
        """The agent closed `ticket_id`."""
        if self._beacon is not None:
            self._beacon.leave(ticket_id)

    def _heard(self, others: dict[int, list[tuple[str, str]]]) -> None:
        """From the beacon's thread: who else has which ticket open now."""
        self.call_from_thread(self._show_others, others)

    def _show_others(self, others: dict[int, list[tuple[str, str]]]) -> None:
        self.others = others
        for screen in self.screen_stack:
            screen.post_message(PresenceChanged(others))

    def check_terminal(self) -> None:
        if not self.is_headless and hangup.input_closed():
            self.hang_up()

    def hang_up(self) -> None:
        """The terminal went away: keep every open draft, then quit."""
        for screen in self.screen_stack:
            for composer in screen.query(Composer):
                composer.save_now()
        self.exit()

    async def on_event(self, event: events.Event) -> None:
        # Every key press and click, wherever it goes, is a sign the agent is at work.
        if isinstance(event, events.Key | events.MouseDown) and not event.is_forwarded:
            self.handling.touch()
        await super().on_event(event)

    def _record_handling(self, ticket_id: int, seconds: int, composing: int, at: datetime) -> None:
        if not self.is_running:  # shutting down (its screens close first): no job would run
            self._record_handling_now(ticket_id, seconds, composing, at)
            return

        def record(store: Store) -> None:
            actions.record_handling(store, ticket_id, seconds, composing, actor=self.actor, at=at)

        self.submit(
            jobs.Job(f"handle time of #{ticket_id}", record, lambda _: None, lambda _: None, True)
        )

    def _record_handling_now(
        self, ticket_id: int, seconds: int, composing: int, at: datetime
    ) -> None:
        """On the way out, on the UI thread's connection: no worker runs any more. A ticket merged
        away while it was open has nothing to keep the time on (the job path hears the same)."""
        with contextlib.suppress(actions.ActionError):
            actions.record_handling(
                self.store, ticket_id, seconds, composing, actor=self.actor, at=at
            )

    def on_unmount(self) -> None:
        self.handling.stop()
        hangup.forget(self._forget_sighup)
        if self._watcher is not None:
            self._watcher.stop(timeout=2)
        if self._beacon is not None:
            self._beacon.stop()
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
        elif worker.is_finished and worker.group == ticker.CROSSINGS:
            self.ticker.ended(worker)
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

    def data_changed(self) -> None:
        """Tell every screen on the stack to re-read what it shows."""
        self.ticker.seen()
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
            self.push_screen(HelpScreen(self.user_keymap, self.macro_entries()))


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
