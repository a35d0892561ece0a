"""What the TUI's dashboard shows: the tickets at each stage with the oldest in each, today's
and the last seven days' figures beside the span before, and two weeks of daily figures for the
charts; all of it for every ticket or for one slice (a channel, an agent, a tag, an intent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from deskterm.metrics import daily, summed
from deskterm.metrics import figures as fig
from deskterm.metrics.report import Day
from deskterm.sla.settings import SlaSettings
from deskterm.store import Store
from deskterm.store import metrics as reads

CHART_DAYS = 14
SLICES = ("channel", "agent", "tag", "intent")
# The figures the dashboard shows (FIGURES keys), in this order, with labels that fit 80 columns.
SHOWN = {
    "created": "Created",
    "solved": "Solved",
    "first_reply_median": "First reply, median",
    "first_reply_business_median": "  in business hours",
    "full_resolution_median": "Resolution, median",
    "sla_first_reply": "SLA first reply met",
    "one_touch_rate": "One-touch resolution",
    "reopen_rate": "Reopen rate",
    "handle_time_total": "Handle time",
    "csat": "CSAT (4 or 5 of 5)",
}


@dataclass(frozen=True, slots=True)
class Slice:
    """`dimension` (channel, agent, tag or intent) is `value`."""

    dimension: str
    value: str

    def __str__(self) -> str:
        return f"{self.dimension}:{self.value}"


class SliceError(ValueError):
    """The slice is not one the dashboard knows."""


def parse_slice(text: str) -> Slice | None:
    """ "channel:ebay", "agent:anna", "tag:wismo", "intent:refund"; empty: every ticket (None)."""
    text = text.strip()
    if not text:
        return None
    dimension, _, value = text.partition(":")
    if dimension not in SLICES or not value.strip():
        raise SliceError(f"{text!r}: show one of {', '.join(s + ':NAME' for s in SLICES)}")
    return Slice(dimension, value.strip())


@dataclass(frozen=True, slots=True)
class Board:
    """The figures: today's and the last seven days', each beside the span before, and the days."""

    today: tuple[dict[str, float | None], dict[str, float | None]]
    week: tuple[dict[str, float | None], dict[str, float | None]]
    days: tuple[Day, ...]


def stages(store: Store, chosen: Slice | None = None) -> list[reads.Stage]:
    """Each working stage with its count and oldest ticket: indexed reads, shown first."""
    return reads.stages(
        store.conn, chosen.dimension if chosen else None, chosen.value if chosen else ""
    )


def read(
    store: Store,
    now: datetime,
    zone: tzinfo,
    settings: SlaSettings,
    costs: fig.Costs,
    chosen: Slice | None = None,
) -> Board:
    """The figures the dashboard shows, as of `now` (local days in `zone`): for every ticket
    read from the per-day totals (deskterm.metrics.daily), for a slice summed over the KPI cache
    (deskterm.metrics.summed); the same as figures.figures over the slice's facts."""
    charts = fig.Period(now - timedelta(days=CHART_DAYS), now)
    midnight = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)
    today = fig.Period(midnight, now) if now > midnight else fig.Period(now - timedelta(1), now)
    week = fig.Period(now - timedelta(days=7), now)
    if chosen is None:
        with daily.prepared(store, charts, settings, now, zone) as handled:

            def figures(period: fig.Period) -> dict:
                return daily.values(
                    daily.period_totals(store, period, zone), period, costs, handled
                )

            day, seven = _pairs(figures, today, week)
            return Board(day, seven, daily.chart_days(store, charts, zone)[0])
    group = (chosen.dimension, chosen.value)
    with summed.prepared(store, charts, settings, now, zone, chosen.dimension) as handled:

        def sliced(period: fig.Period) -> dict:
            return summed.Sums(store, period).values(group, period, costs, handled)

        day, seven = _pairs(sliced, today, week)
        return Board(day, seven, summed.chart_days(store, charts, zone, group)[0])


def _pairs(figures: Callable[[fig.Period], dict], *periods: fig.Period) -> list[tuple[dict, dict]]:
    """Each period's figures beside the span before it."""
    return [(figures(period), figures(period.previous())) for period in periods]
