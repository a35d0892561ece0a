"""A report as people read it (figures as text, with the change from the previous period) and as
scripts read it (plain JSON and CSV records, durations in seconds, shares from 0 to 1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from deskterm.domain import to_iso
from deskterm.metrics.figures import FIGURES, Figure
from deskterm.metrics.report import Group, Report
from deskterm.sla.rules import format_duration

NOTHING = "—"


def value_text(kind: str, value: float | None, currency: str = "") -> str:
    """One figure's value for people: "2h 5m", "82.7%", "4.2", "9.36 EUR", or "—" for none."""
    if value is None:
        return NOTHING
    if kind == "seconds":
        return format_duration(timedelta(seconds=round(value)))
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "count":
        return f"{round(value):,}"
    if kind == "money":
        return f"{value:,.2f} {currency}".strip()
    return f"{value:.2f}"


def change_text(kind: str, current: float | None, previous: float | None) -> str:
    """How the figure moved since the previous period, in its own units ("+3", "-1h 5m")."""
    if current is None or previous is None:
        return ""
    delta = current - previous
    if not delta:
        return "="
    sign = "+" if delta > 0 else "-"
    if kind == "seconds":
        return sign + format_duration(timedelta(seconds=round(abs(delta))))
    if kind == "share":
        return f"{sign}{abs(delta) * 100:.1f} pts"
    if kind == "count":
        return f"{sign}{round(abs(delta)):,}"
    return f"{sign}{abs(delta):.2f}"


def rows(group: Group, currency: str) -> Iterator[tuple[Figure, str, str, str]]:
    """(figure, this period, previous period, change) for each figure, as text."""
    for figure in FIGURES:
        current, previous = group.current[figure.key], group.previous[figure.key]
        yield (
            figure,
            value_text(figure.kind, current, currency),
            value_text(figure.kind, previous, currency),
            change_text(figure.kind, current, previous),
        )


def _figures(group: Group) -> dict[str, dict[str, Any]]:
    return {
        f.key: {
            "label": f.label,
            "kind": f.kind,
            "current": group.current[f.key],
            "previous": group.previous[f.key],
        }
        for f in FIGURES
    }


def as_json(report: Report) -> dict[str, Any]:
    """The whole report as plain JSON values: moments in UTC ISO, durations in seconds."""
    overall, *slices = report.groups
    return {
        "period": {"from": to_iso(report.period.start), "to": to_iso(report.period.end)},
        "previous": {"from": to_iso(report.previous.start), "to": to_iso(report.previous.end)},
        "zone": report.zone,
        "currency": report.currency,
        "figures": _figures(overall),
        "groups": [
            {"dimension": g.dimension, "value": g.value, "figures": _figures(g)} for g in slices
        ],
        "backlog": {"by_status": report.backlog, "by_age": report.ages},
        "volume": report.volume,
        "handle_time_by_agent": report.handle_by_agent,
        "days": [
            {
                "day": d.day.isoformat(),
                "created": d.created,
                "first_reply_median": d.first_reply_median,
                "sla_met": d.sla_met,
            }
            for d in report.days
        ],
    }


def csv_records(report: Report) -> Iterator[dict[str, Any]]:
    """One record per figure and group: dimension, value, key, label, kind, current, previous."""
    for group in report.groups:
        for figure in FIGURES:
            yield {
                "dimension": group.dimension,
                "value": group.value,
                "key": figure.key,
                "label": figure.label,
                "kind": figure.kind,
                "current": group.current[figure.key],
                "previous": group.previous[figure.key],
            }
