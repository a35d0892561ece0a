"""`deskterm report`: the table, JSON, CSV, and an HTML page a real browser renders."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import actions
from deskterm.cli.main import app
from deskterm.domain import Identity

WED_10 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
NOW = "2026-11-20T12:00:00Z"
HOSTILE_TAG = "<script>alert(1)</script>"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def desk(store, make_message, deliver, db_path: Path) -> Path:
    """Two email tickets of Wednesday: one answered in an hour and solved, one still new."""
    deliver(make_message(sent_at=WED_10), at=WED_10)
    deliver(make_message(sent_at=WED_10, sender=Identity("email", "bob@example.com")), at=WED_10)
    actions.reply(store, 1, "Done.", actor="agent:anna", at=WED_10 + timedelta(hours=1))
    actions.resolve(store, 1, actor="agent:anna", at=WED_10 + timedelta(hours=2))
    actions.tag(store, 2, "wismo", actor="agent:anna", at=WED_10)
    return db_path


def test_json_holds_each_figure_beside_the_previous_period(desk: Path) -> None:
    code, out, _ = run("report", "--since", "7d", "--now", NOW, "--json", "--db", str(desk))
    assert code == 0
    data = json.loads(out)
    assert data["period"] == {"from": "2026-11-13T12:00:00Z", "to": NOW}
    assert data["figures"]["created"] == {
        "label": "Tickets created",
        "kind": "count",
        "current": 2,
        "previous": 0,
    }
    assert data["figures"]["first_reply_median"]["current"] == 3600
    assert data["backlog"]["by_status"] == {"new": 1}


def test_recompute_gives_the_cached_reports_numbers(desk: Path) -> None:
    common = ("report", "--now", NOW, "--by", "agent", "--json", "--db", str(desk))
    code, cached, _ = run(*common)
    assert code == 0
    assert run(*common, "--recompute") == (0, cached, "")
    groups = json.loads(cached)["groups"]
    assert [(g["dimension"], g["value"]) for g in groups] == [
        ("agent", "anna"),
        ("agent", "unassigned"),
    ]


def test_csv_has_a_row_per_figure_and_slice(desk: Path) -> None:
    code, out, _ = run("report", "--now", NOW, "--by", "tag", "--csv", "--db", str(desk))
    assert code == 0
    records = list(csv.DictReader(io.StringIO(out)))
    created = {(r["dimension"], r["value"]): r["current"] for r in records if r["key"] == "created"}
    assert created == {("all", "all"): "2", ("tag", "untagged"): "1", ("tag", "wismo"): "1"}


def test_the_table_says_the_figures_in_words(desk: Path) -> None:
    code, out, _ = run("report", "--from", "2026-11-16", "--to", "2026-11-20", "--db", str(desk))
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("First reply time, median "))
    assert line.split()[4:] == ["1h", "—"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "soon"), "--since:"),
        (("--since", "7d", "--from", "2026-11-01"), "not both"),
        (("--from", "2026-11-10", "--to", "2026-11-01"), "later than --from"),
    ],
)
def test_a_bad_period_is_one_line_and_exit_2(desk: Path, args, message) -> None:
    code, _, err = run("report", *args, "--db", str(desk))
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_the_html_page_renders_in_chromium_with_its_figures_and_no_markup_from_text(
    desk: Path, store, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    store.conn.execute("INSERT INTO ticket_tags (ticket_id, tag) VALUES (1, ?)", (HOSTILE_TAG,))
    page = tmp_path / "report.html"
    code, _, _ = run("report", "--now", NOW, "--html", str(page), "--db", str(desk))
    assert code == 0
    assert "http" not in page.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")
    dom = subprocess.run(
        [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert '<td>First reply time, median</td><td class="n">1h</td>' in dom
    assert "<script>" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert dom.count("<svg") == 3
    # The tickets-per-day chart: 0-2 tickets on the value axis, dates (MM-DD) below.
    created = re.findall(r"<text[^>]*>([^<]*)</text>", dom.split("<svg")[1])
    assert created[:3] == ["0", "1", "2"]
    assert "10-21" in created and "11-18" in created
    assert created[-1] == "2026-10-21 to 2026-11-20"
