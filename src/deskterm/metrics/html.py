"""A report as one self-contained HTML page to mail to someone: inline CSS and SVG charts, no
script, nothing fetched from the network. Every piece of text (shop name, tags, agents, channels)
is escaped: none of it can become markup."""

from __future__ import annotations

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
"""
WIDTH, HEIGHT = 360, 140


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


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], kind: str) -> str:
    """An SVG bar chart with its largest value written on the axis; days without a value get no
    bar. Each bar's value is in its <title> (a tooltip)."""
    top = max((v for v in values if v is not None), default=0) or 1
    step = WIDTH / max(len(values), 1)
    bars = []
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        height = (HEIGHT - 20) * value / top
        tip = escape(f"{label}: {render.value_text(kind, value)}")
        bars.append(
            f'<rect x="{n * step + 1:.1f}" y="{HEIGHT - 15 - height:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{height:.1f}" fill="#4a7fb5">'
            f"<title>{tip}</title></rect>"
        )
    first, last = (labels[0], labels[-1]) if labels else ("", "")
    axis = (
        f'<text x="0" y="10">{escape(render.value_text(kind, top))}</text>'
        f'<text x="0" y="{HEIGHT - 2}">{escape(first)}</text>'
        f'<text x="{WIDTH}" y="{HEIGHT - 2}" text-anchor="end">{escape(last)}</text>'
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"{axis}{''.join(bars)}</svg>"
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
