"""One word per thing: the header's outbox, the SLA targets in hours as the CLI and README say."""

from __future__ import annotations

from datetime import UTC, timedelta
from types import SimpleNamespace

from workspace import NOW

from deskterm.domain import AccountSync
from deskterm.sla import rules
from deskterm.tui.widgets.header import account_part
from deskterm.tui.widgets.sidebar import sla_lines


def test_the_header_says_outbox_for_replies_waiting_and_keeps_the_arrow_for_escalation():
    account = AccountSync("shop-mail", "email", "email", state="online", outbox_waiting=3)
    part = account_part(account, NOW, True)
    assert part.plain == "● shop-mail online outbox 3"


def test_sla_targets_read_in_hours_and_say_which_hours_they_count():
    clock = rules.Clock(
        kind="resolution",
        started=NOW,
        target=timedelta(hours=24),
        state=rules.RUNNING,
        elapsed=None,
        due=NOW + timedelta(days=3),
        warn_at=None,
        stopped=None,
        counting=True,
        steps=(),
    )
    ticket = SimpleNamespace(sla_state="running", next_deadline=None, snoozed_until=None)
    lines = [line.plain for line in sla_lines(ticket, [clock], NOW, UTC, business=True)]
    assert lines[1] == "hours: business"
    assert lines[2].startswith("resolution (24h) running")
    assert sla_lines(ticket, [clock], NOW, UTC)[1].plain == "hours: 24/7"
