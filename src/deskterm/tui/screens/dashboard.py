"""The dashboard: tickets at each stage with the oldest in each (enter shows that stage in the
queue, oldest first), today's and the last seven days' figures beside the span before, and two
weeks of tickets, first reply time and SLA attainment per day as sparklines; `f` narrows it all
to a channel, an agent, a tag or an intent."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, OptionList, Sparkline, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskterm.domain import from_iso
from deskterm.keys import APP, DASHBOARD
from deskterm.metrics import dashboard
from deskterm.metrics.figures import FIGURES
from deskterm.metrics.render import change_text, value_text
from deskterm.metrics.settings import METRICS
from deskterm.sla import clocks
from deskterm.sla.rules import format_duration
from deskterm.sla.settings import SLA
from deskterm.store import metrics as reads
from deskterm.tui.bindings import bindings
from deskterm.tui.desk import DeskScreen
from deskterm.tui.screens.prompts import PickList, TextPrompt
from deskterm.tui.widgets.footer import DeskFooter
from deskterm.tui.widgets.queue_view import one_line

KINDS = {f.key: f for f in FIGURES}
STAGE_NAMES = {"new": "New", "open": "Open", "pending": "Pending", "on_hold": "On hold"}


def stage_line(stage: reads.Stage, now: datetime, width: int) -> Text:
    """One stage on one line of `width` cells: its count, and its oldest ticket's age and subject."""
    line = Text.assemble((f"{STAGE_NAMES[stage.status]:<8}", "bold"), f"{stage.count:>7,}  ")
    if stage.oldest_id is not None and stage.oldest_created is not None:
        age = format_duration(now - from_iso(stage.oldest_created))
        line.append(f"oldest #{stage.oldest_id}, {age}: ", style="dim")
        line.append(one_line(stage.oldest_subject) or "(no subject)")
    line.truncate(max(width, 20), overflow="ellipsis")
    return line


def figures_table(board: dashboard.Board, currency: str) -> Table:
    """Today's figures, the last seven days' and the seven before, with the change."""
    table = Table(box=None, padding=(0, 1), expand=False, show_edge=False)
    table.add_column("", no_wrap=True)
    for title in ("Today", "7 days", "7 before"):
        table.add_column(title, justify="right", no_wrap=True, min_width=8)
    table.add_column("change", justify="right", no_wrap=True, style="dim", min_width=9)
    (today, _), (week, before) = board.today, board.week
    for key, label in dashboard.SHOWN.items():
        kind = KINDS[key].kind
        table.add_row(
            label,
            value_text(kind, today[key], currency),
            value_text(kind, week[key], currency),
            value_text(kind, before[key], currency),
            change_text(kind, week[key], before[key]),
        )
    return table


class DashboardScreen(DeskScreen[None]):
    BINDINGS = bindings(DASHBOARD)
    SCOPES = (APP, DASHBOARD)

    def __init__(self) -> None:
        super().__init__()
        self.chosen: dashboard.Slice | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dashboard"):
            yield Label(id="dashboard-title")
            yield PickList(id="stages")
            yield Static(id="figures")
            for name, title in (
                ("created", "Tickets created per day"),
                ("reply", "First reply time per day (median)"),
                ("sla", "SLA attained per day"),
            ):
                with Horizontal(classes="chart"):
                    yield Label(title, classes="chart-title")
                    yield Label(id=f"chart-{name}-scale", classes="chart-scale")
                    yield Sparkline([], id=f"chart-{name}")
                    yield Label(id=f"chart-{name}-last", classes="chart-last")
            # The days' axis under the sparklines: the first day on the left, the last right.
            with Horizontal(classes="chart"):
                yield Label(classes="chart-title")
                yield Label(classes="chart-scale")
                yield Label(id="chart-from", classes="chart-from")
                yield Label(id="chart-to", classes="chart-to")
                yield Label(classes="chart-last")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def load(self) -> None:
        """The stages first (a few indexed reads), then the figures (every recent ticket)."""
        desk = self.desk
        config = desk.config
        with desk.connection() as store:
            stages = dashboard.stages(store, self.chosen)
            if get_current_worker().is_cancelled:
                return
            self.app.call_from_thread(self._show_stages, stages)
            board = dashboard.read(
                store,
                desk.now(),
                desk.zone,
                clocks.policies_for(store.conn, config.get(SLA)),
                config.get(METRICS).costs,
                self.chosen,
            )
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, board)

    def _show_stages(self, found: list[reads.Stage]) -> None:
        what = str(self.chosen) if self.chosen else "every ticket"
        self.query_one("#dashboard-title", Label).update(
            Text.assemble(
                ("Dashboard: ", "bold"),
                what,
                ("   f narrows, enter opens a stage", "dim"),
            )
        )
        stages = self.query_one(OptionList)
        highlighted = stages.highlighted
        stages.clear_options()
        now = self.desk.now()
        width = stages.size.width - 2
        stages.add_options([Option(stage_line(s, now, width), id=s.status) for s in found])
        stages.highlighted = highlighted if highlighted is not None else 0

    def _show(self, board: dashboard.Board) -> None:
        currency = self.desk.config.get(METRICS).costs.currency
        self.query_one("#figures", Static).update(figures_table(board, currency))
        series: dict[str, tuple[str, list[float | None]]] = {
            "created": ("count", [d.created for d in board.days]),
            "reply": ("seconds", [d.first_reply_median for d in board.days]),
            "sla": ("share", [d.sla_met for d in board.days]),
        }
        for name, (kind, values) in series.items():
            plotted = [v or 0 for v in values]
            self.query_one(f"#chart-{name}", Sparkline).data = plotted
            # The sparkline's scale: its lowest bar is the smallest value, its highest the largest.
            low, high = (min(plotted), max(plotted)) if plotted else (None, None)
            self.query_one(f"#chart-{name}-scale", Label).update(
                f"{value_text(kind, low)}–{value_text(kind, high)}"
            )
            last = next((v for v in reversed(values) if v is not None), None)
            self.query_one(f"#chart-{name}-last", Label).update(f"today {value_text(kind, last)}")
        if board.days:
            self.query_one("#chart-from", Label).update(f"{board.days[0].day:%b %d}")
            self.query_one("#chart-to", Label).update(f"{board.days[-1].day:%b %d}")

    @on(OptionList.OptionSelected, "#stages")
    def _open_stage(self, event: OptionList.OptionSelected) -> None:
        query = f"status:{event.option.id}"
        if self.chosen is not None:
            query += " " + self._slice_query(self.chosen)
        self.dismiss()
        self.desk.queue_screen.show_search(query, oldest_first=True)

    @staticmethod
    def _slice_query(chosen: dashboard.Slice) -> str:
        key = {"agent": "assignee"}.get(chosen.dimension, chosen.dimension)
        return f"{key}:{chosen.value}"

    def action_back(self) -> None:
        self.dismiss()

    async def action_narrow(self) -> None:
        def chosen(text: str | None) -> None:
            if text is None:
                return
            try:
                self.chosen = dashboard.parse_slice(text)
            except dashboard.SliceError as exc:
                self.notify(str(exc), severity="error")
                return
            self.load()

        await self.app.push_screen(
            TextPrompt(
                "Show only (empty: every ticket)",
                value=str(self.chosen) if self.chosen else "",
                placeholder="channel:ebay, agent:anna, tag:wismo or intent:refund",
            ),
            chosen,
        )
