"""A report as one self-contained HTML page to mail to someone: inline CSS and SVG charts, no
script, nothing fetched from the network. Every piece of text (shop name, tags, agents, channels)
is escaped: none of it can become markup."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape

from deskterm.domain import to_iso
from deskterm.metrics import render
from deskterm.metrics.report import Report

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; } figcaption { font-size: 0.9em; color: #555; }
svg text { font-size: 10px; fill: #555; }
svg .grid { stroke: #e6e6e6; } svg .axis { stroke: #888; }
"""
WIDTH, HEIGHT = 380, 176
# The plot's margins: room for the values on the left, the dates and the days' span below.
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 8, 40
DATE_LABELS = 5
# Steps of a value axis: durations people read, and 1, 2 and 5 times a power of ten.
SECONDS_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
COUNT_STEPS = tuple(m * 10**e for e in range(9) for m in (1, 2, 5))


def _table(head: Sequence[str], body: Iterable[Sequence[str]], numeric_from: int = 1) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    lines = []
    for row in body:
        cells = "".join(
            f'<td class="n">{escape(c)}</td>' if n >= numeric_from else f"<td>{escape(c)}</td>"
            for n, c in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def scale(kind: str, highest: float) -> tuple[float, float]:
    """(top of the value axis, step between its labels) for values up to `highest`: at most four
    steps of a round size; a share always runs 0-100%."""
    if kind == "share":
        return 1.0, 0.25
    steps = SECONDS_STEPS if kind == "seconds" else COUNT_STEPS
    step = next((s for s in steps if s * 4 >= highest), steps[-1])
    return step * max(1, math.ceil(highest / step)), step


def _value_axis(kind: str, top: float, step: float) -> list[str]:
    """A labelled gridline at every step from 0 to the top."""
    plot = HEIGHT - TOP - BOTTOM
    parts = []
    for n in range(round(top / step) + 1):
        y = TOP + plot - plot * n * step / top
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">'
            f"{escape(render.value_text(kind, n * step))}</text>"
        )
    return parts


def _date_axis(labels: Sequence[str], step: float) -> list[str]:
    """A tick under every day and its date (MM-DD) under every few, the first always, the last
    when there is room; below, the days' whole span."""
    base = HEIGHT - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" class="axis"/>'
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" class="axis"/>'
    ]
    every = max(1, math.ceil(len(labels) / DATE_LABELS))
    for n, label in enumerate(labels):
        x = LEFT + (n + 0.5) * step
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 3}" class="axis"/>')
        if n % every == 0 or (n == len(labels) - 1 and n % every >= every / 2):
            parts.append(
                f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle">{escape(label[5:])}</text>'
            )
    if labels:
        span = f"{labels[0]} to {labels[-1]}" if len(labels) > 1 else labels[0]
        parts.append(
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end">{escape(span)}</text>'
        )
    return parts


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], kind: str) -> str:
    """An SVG bar chart of one value per day (`labels` are ISO dates) with both axes labelled:
    the values at round steps on the left, the dates below. Days without a value get no bar;
    each bar's value is in its <title> (a tooltip)."""
    top, every = scale(kind, max((v for v in values if v is not None), default=0))
    plot = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    parts = _value_axis(kind, top, every)
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        height = plot * value / top
        tip = escape(f"{label}: {render.value_text(kind, value)}")
        parts.append(
            f'<rect x="{LEFT + n * step + 1:.1f}" y="{TOP + plot - height:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{height:.1f}" fill="#4a7fb5">'
            f"<title>{tip}</title></rect>"
        )
    parts += _date_axis(labels, step)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"{''.join(parts)}</svg>"
    )
    return f"<figure>{svg}<figcaption>{escape(title)}</figcaption></figure>"


def _charts(report: Report) -> str:
    labels = [d.day.isoformat() for d in report.days]
    return (
        '<div class="charts">'
        + bar_chart("Tickets created per day", labels, [d.created for d in report.days], "count")
        + bar_chart(
            "First reply time per day (median)",
            labels,
            [d.first_reply_median for d in report.days],
            "seconds",
        )
        + bar_chart("SLA attained per day", labels, [d.sla_met for d in report.days], "share")
        + "</div>"
    )


def _counts(title: str, counts: dict[str, int]) -> str:
    if not counts:
        return f"<h2>{escape(title)}</h2><p>None.</p>"
    body = [(name, f"{count:,}") for name, count in counts.items()]
    return f"<h2>{escape(title)}</h2>" + _table(("", "Tickets"), body)


def page(report: Report, shop: str) -> str:
    """The whole page."""
    overall, *slices = report.groups
    period = f"{to_iso(report.period.start)} to {to_iso(report.period.end)}"
    previous = f"{to_iso(report.previous.start)} to {to_iso(report.previous.end)}"
    figures = _table(
        ("Figure", "This period", "Previous period", "Change"),
        (
            (f.label, now, before, change)
            for f, now, before, change in render.rows(overall, report.currency)
        ),
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(shop)}: support report</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(shop)}: support report</h1>",
        f"<p>{escape(period)} (previous: {escape(previous)}); days in {escape(report.zone)}.</p>",
        _charts(report),
        "<h2>Figures</h2>",
        figures,
        _counts("Backlog at the end, by status", report.backlog),
        _counts("Backlog at the end, by age", report.ages),
        *(_counts(f"Created by {name}", counts) for name, counts in report.volume.items()),
        _counts(
            "Handle time by agent (minutes)",
            {agent: round(seconds / 60) for agent, seconds in report.handle_by_agent.items()},
        ),
    ]
    for group in slices:
        parts.append(f"<h2>{escape(group.dimension)}: {escape(group.value)}</h2>")
        parts.append(
            _table(
                ("Figure", "This period", "Previous period", "Change"),
                ((f.label, a, b, c) for f, a, b, c in render.rows(group, report.currency)),
            )
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)
