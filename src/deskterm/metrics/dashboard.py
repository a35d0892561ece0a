"""What the TUI's dashboard shows: the tickets at each stage with the oldest in each, today's
and the last seven days' figures beside the span before, and two weeks of daily figures for the
charts; all of it for every ticket or for one slice (a channel, an agent, a tag, an intent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from deskterm.metrics import figures as fig
from deskterm.metrics.report import DIMENSIONS, Day, collect, days
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


def _in_slice(chosen: Slice | None):
    if chosen is None:
        return lambda fact: True
    return lambda fact: chosen.value in DIMENSIONS[chosen.dimension](fact)


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
    """The figures the dashboard shows, as of `now` (local days in `zone`)."""
    charts = fig.Period(now - timedelta(days=CHART_DAYS), now)
    facts, opened = collect(store, charts, settings, now)
    keep = _in_slice(chosen)
    facts = [f for f in facts if keep(f)]
    midnight = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)
    today = fig.Period(midnight, now) if now > midnight else fig.Period(now - timedelta(1), now)
    week = fig.Period(now - timedelta(days=7), now)

    def pair(period: fig.Period) -> tuple[dict, dict]:
        return (
            fig.figures(facts, period, opened, costs),
            fig.figures(facts, period.previous(), opened, costs),
        )

    return Board(pair(today), pair(week), days(facts, charts, zone))
