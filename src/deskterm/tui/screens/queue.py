"""The queue screen: header, views, search bar and the virtual list of tickets."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input
from textual.worker import get_current_worker

from deskterm.actions import ActionError
from deskterm.config import ConfigError, default_config_path
from deskterm.keys import ACTIONS, APP, QUEUE
from deskterm.store import Store, queries
from deskterm.store.filters import Filter, FilterError, parse
from deskterm.store.queries import Sort, queue_count
from deskterm.tui.bindings import bindings
from deskterm.tui.messages import DataChanged, PresenceChanged
from deskterm.tui.queue_source import QueueSource
from deskterm.tui.screens.dashboard import DashboardScreen
from deskterm.tui.screens.prompts import TextPrompt
from deskterm.tui.screens.ticket_actions import FINISHING, TicketActions
from deskterm.tui.widgets.activity import ActivityLine
from deskterm.tui.widgets.footer import DeskFooter
from deskterm.tui.widgets.header import Overview, StatusHeader
from deskterm.tui.widgets.queue_view import QueueHeader, QueueView
from deskterm.tui.widgets.views_bar import ViewsBar
from deskterm.views import View, save_view

SORT_ORDER = list(Sort)


class SearchBar(Input):
    """The search line: enter applies the query, escape leaves it as it was."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel search", id="search.cancel")]

    class Cancelled(Message):
        pass

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())


class QueueScreen(TicketActions):
    BINDINGS = bindings(QUEUE, ACTIONS)
    SCOPES = (APP, QUEUE, ACTIONS)

    def __init__(self, views: list[View]) -> None:
        super().__init__()
        self.views = views
        self.view_index: int | None = 0
        # G was pressed before the queue was counted: go to the end when the count arrives.
        self.to_end = False
        self.search_text = ""
        # The view a search was typed over: esc goes back to it.
        self.searched_from = 0
        first = views[0]
        self.source = QueueSource(
            self.desk.store, self.desk.now, self._parse(first.query), first.sort
        )

    def _parse(self, query: str) -> Filter:
        return parse(query, me=self.desk.config.agent)

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.desk.now, id="status")
        yield ViewsBar(self.views, id="views")
        yield SearchBar(
            placeholder="status:open tag:wismo from:anna is:breached older:2h words…", id="search"
        )
        yield QueueHeader()
        yield QueueView(self.source, self.desk.now, id="queue")
        yield ActivityLine(id="activity")
        yield DeskFooter()

    @property
    def queue(self) -> QueueView:
        return self.query_one(QueueView)

    def on_mount(self) -> None:
        self.query_one("#search").display = False
        self.queue.focus()
        self.refresh_counts()

    def on_screen_resume(self) -> None:
        self.reload_queue(keep=self._current_id())

    def reload_queue(self, *, keep: int | None = None) -> None:
        """Re-read the visible part now; the exact count follows from a worker."""
        self.queue.reload(keep=keep)
        self.count_queue(self.source.generation)

    @work(thread=True, exclusive=True, group="queue-count", exit_on_error=False)
    def count_queue(self, generation: int) -> None:
        """The exact count, if the pages read have not settled it, and how many snoozed tickets
        the query leaves out (the queue says so after its last row)."""
        flt, now, counted = self.source.filter, self.desk.now(), self.source.counted
        hiding = flt.hiding_snoozed()
        with self.desk.connection() as store:
            count = None if counted else queue_count(store, flt, now)
            snoozed = queue_count(store, hiding, now) if hiding else 0
        self.app.call_from_thread(self._count_arrived, generation, count, snoozed)

    def _count_arrived(self, generation: int, count: int | None, snoozed: int = 0) -> None:
        if generation != self.source.generation:
            return  # the query or the data changed meanwhile; a newer count is on its way
        if self.source.settle_count(generation, self.source.count if count is None else count):
            for view in self.query(QueueView):
                view.count_settled(snoozed)
            if self.to_end:
                self.to_end = False
                self.queue.move_to(self.source.count - 1)

    def _current_id(self) -> int | None:
        row = self.queue.current
        return row.id if row else None

    def current_ticket_id(self) -> int | None:
        return self._current_id()

    # Marks

    def marked_ids(self) -> list[int]:
        return sorted(self.queue.marked)

    def _show_marks(self) -> None:
        queue = self.queue
        queue.refresh()
        self.query_one(QueueHeader).marking = bool(queue.marked)
        self.query_one(ViewsBar).marked = len(queue.marked)

    def marks_done(self) -> None:
        self.queue.marked.clear()
        self._show_marks()

    def action_toggle_mark(self) -> None:
        """Mark the ticket under the cursor (or take its mark away) and go to the next."""
        row = self.queue.current
        if row is None:
            return
        self.queue.marked.symmetric_difference_update({row.id})
        self._show_marks()
        self.queue.move(1)

    def action_clear_marks(self) -> None:
        if self.queue.marked:
            count = len(self.queue.marked)
            self.marks_done()
            self.notify(f"Cleared {count} marks", timeout=2)

    @work(thread=True, exclusive=True, group="marks", exit_on_error=False)
    def action_mark_all(self) -> None:
        """Mark every ticket the view or search lists (read in a worker: it may be thousands)."""
        flt = self.source.filter
        with self.desk.connection() as store:
            found = queries.matching_ids(store, flt, self.desk.now())
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._marked_all, found)

    def _marked_all(self, found: list[int]) -> None:
        self.queue.marked.update(found)
        self._show_marks()
        self.notify(f"Marked {len(found)} tickets; {len(self.queue.marked)} in all", timeout=3)

    def tick(self) -> None:
        """Once a second: countdowns move; only visible rows are redrawn."""
        # query(), not query_one(): the timer may fire while the app is closing.
        for view in self.query(QueueView):
            view.tick()
        for header in self.query(StatusHeader):
            header.refresh()

    @on(DataChanged)
    def data_changed(self) -> None:
        self.reload_queue(keep=self._current_id())
        self.refresh_counts()

    def action_take_next(self) -> None:
        """Take the next open ticket nobody has (queue order, within the [team] cap) and open it."""
        desk = self.desk
        self.take_next(desk.config.agent, desk.now(), desk.team_settings.cap)

    @work(thread=True, exclusive=True, group="take-next", exit_on_error=False)
    def take_next(self, agent: str, now: datetime, cap: int | None) -> None:
        # In a team replica the server decides, over the network: never on the UI thread.
        from deskterm.team.assignment import take_next_for
        from deskterm.team.server import TeamError

        with self.desk.connection() as store:
            try:
                taken = take_next_for(store, agent, now, cap)
            except (ActionError, TeamError) as exc:
                self.app.call_from_thread(
                    self.notify, str(exc), title="Nothing taken", severity="warning"
                )
                return
        self.app.call_from_thread(self._taken, taken)

    def _taken(self, ticket_id: int | None) -> None:
        if ticket_id is None:
            self.notify("Nothing to take: every open ticket has someone", timeout=4)
            return
        self.notify(f"#{ticket_id} is yours", timeout=3)
        self.desk.data_changed()
        if self.is_current:
            self.desk.open_ticket(ticket_id)

    @on(PresenceChanged)
    def presence_changed(self, message: PresenceChanged) -> None:
        for view in self.query(QueueView):
            view.show_presence(message.others)

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def refresh_counts(self) -> None:
        """Count every view and read the header in a worker: at 100k tickets this takes a while."""
        now = self.desk.now()
        counts: dict[int | None, int] = {}
        with self.desk.connection() as store:
            for n, view in enumerate(self.views):
                counts[n] = queue_count(store, self._parse(view.query), now)
            if self.search_text:
                counts[None] = queue_count(store, self._parse(self.search_text), now)
            overview = self._read_overview(store)
        # A newer count started meanwhile (exclusive workers): its answer is the one to show.
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_counts, counts, overview)

    def _read_overview(self, store: Store) -> Overview:
        return Overview(
            stages=queries.stage_counts(store),
            oldest=queries.oldest_active(store),
            accounts=tuple(queries.sync_overview(store)),
            sync_enabled=self.desk.sync_enabled,
        )

    def _show_counts(self, counts: dict[int | None, int], overview: Overview) -> None:
        # query(), not query_one(): the answer may arrive while the app is closing.
        for bar in self.query(ViewsBar):
            bar.counts = counts
        for header in self.query(StatusHeader):
            header.overview = overview

    def after_action(self, kind: str, ticket_id: int, after: str) -> None:
        queue = self.queue
        current = queue.current
        keep = current.id if current else None
        # Unless the agent moved on while the action ran, "next" is the row after the ticket.
        if kind in FINISHING and after == "next" and keep == ticket_id:
            following = queue.source.row(queue.cursor + 1)
            keep = following.id if following else None
        self.reload_queue(keep=keep)

    # Navigation

    def action_cursor_down(self) -> None:
        self.queue.move(1)

    def action_cursor_up(self) -> None:
        self.queue.move(-1)

    def action_cursor_first(self) -> None:
        self.to_end = False
        self.queue.move_to(0)

    def action_cursor_last(self) -> None:
        """The last row; counting a long queue takes a while, so that happens in a worker."""
        if self.source.counted:
            self.queue.move_to(self.source.count - 1)
        else:
            self.to_end = True
            self.count_queue(self.source.generation)

    def action_page_down(self) -> None:
        self.queue.page(1)

    def action_page_up(self) -> None:
        self.queue.page(-1)

    def action_open(self) -> None:
        row = self.queue.current
        if row is not None:
            self.desk.open_ticket(row.id)

    # Awaited: the keys typed right after r belong to the composer, so the next key waits until
    # the ticket screen is up with the composer focused.
    async def action_reply(self) -> None:
        row = self.queue.current
        if row is not None:
            await self.desk.open_ticket(row.id, compose="reply")

    async def action_note(self) -> None:
        row = self.queue.current
        if row is not None:
            await self.desk.open_ticket(row.id, compose="note")

    @on(QueueView.Selected)
    def _selected(self, event: QueueView.Selected) -> None:
        self.desk.open_ticket(event.row.id)

    def neighbour(self, ticket_id: int, step: int, *, finished: bool = False) -> int | None:
        """The ticket `step` rows from `ticket_id` here, for J/K and "next" on the ticket screen.

        When the ticket was just `finished`, the queue is read again and the cursor stays where
        it was: the ticket that took that place (or the one after, if it stayed) comes next.
        """
        queue = self.queue
        if finished:
            self.reload_queue()
        current = queue.current
        if current is not None and current.id != ticket_id and not finished:
            found = self.source.index_of(ticket_id, near=queue.cursor)
            if found is not None:
                queue.move_to(found)
                current = queue.current
        if current is None:
            return None
        if current.id == ticket_id:
            queue.move(step)
        elif step < 0:
            queue.move(-1)
        following = queue.current
        return following.id if following and following.id != ticket_id else None

    # Views, search and sort

    def action_view(self, number: int) -> None:
        if number > len(self.views):
            self.notify(f"There is no view {number}", severity="warning")
            return
        view = self.views[number - 1]
        self.view_index, self.search_text = number - 1, ""
        self._apply(self._parse(view.query), view.sort)

    def _apply(self, flt: Filter, sort: Sort | None = None) -> None:
        self.to_end = False
        self.source.set_query(flt, sort)
        bar = self.query_one(ViewsBar)
        bar.active, bar.search, bar.sort = self.view_index, self.search_text, self.source.sort
        self.queue.cursor = 0
        self.queue.scroll_to(y=0, animate=False, immediate=True)
        self.reload_queue()
        self.refresh_counts()

    def action_cycle_sort(self) -> None:
        following = SORT_ORDER[(SORT_ORDER.index(self.source.sort) + 1) % len(SORT_ORDER)]
        self._apply(self.source.filter, following)
        self.notify(f"Sorted by {following.value}", timeout=2)

    async def action_save_view(self) -> None:
        """Keep the current search as a named view in the settings file."""
        if not self.search_text:
            self.notify("Search first (/), then save the search as a view", severity="warning")
            return

        def named(name: str | None) -> None:
            if not name or not name.strip():
                return
            view = View(name.strip(), self.search_text, self.source.sort)
            path = self.desk.config.path or default_config_path()
            try:
                views = save_view(path, view, self.views)
            except (ConfigError, OSError) as exc:
                self.notify(str(exc), title="View not saved", severity="error")
                return
            self.views[:] = views
            bar = self.query_one(ViewsBar)
            self.view_index, self.search_text = len(views) - 1, ""
            bar.active, bar.search = self.view_index, ""
            self.refresh_counts()
            key = f" (key {len(views)})" if len(views) <= 9 else ""
            self.notify(f"Saved view {view.name}{key} in {path}", timeout=4)

        await self.app.push_screen(TextPrompt("Name of the view", value=self.search_text), named)

    def show_search(self, query: str, *, oldest_first: bool = False) -> None:
        """Show the tickets `query` finds, as if it had been searched (the dashboard's stages)."""
        self.view_index, self.search_text = None, query
        self._apply(self._parse(query), Sort.CREATED if oldest_first else None)

    def action_dashboard(self) -> None:
        self.app.push_screen(DashboardScreen())

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = self.search_text or str(self.source.filter)
        search.display = True
        # Focus now, not after a refresh: keys typed right after / belong to the search.
        self.set_focus(search)

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        try:
            flt = self._parse(query)
        except FilterError as exc:
            self.notify(str(exc), title="Search", severity="error")
            return
        event.input.display = False
        if self.view_index is not None:
            self.searched_from = self.view_index
        if not query:
            self.action_view(1)
        else:
            self.view_index, self.search_text = None, query
            self._apply(flt)
        self.queue.focus()

    def action_clear_search(self) -> None:
        """Back to the view the search started from (esc on the queue)."""
        if self.search_text:
            self.action_view(self.searched_from + 1)

    @on(SearchBar.Cancelled)
    def _search_cancelled(self) -> None:
        self.query_one(SearchBar).display = False
        self.queue.focus()
