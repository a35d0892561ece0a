"""Importing a shop's support mailbox: our own mail is our replies, old mail is history."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.main import app
from deskterm.connectors.email.importer import MBOX, mbox_recipients
from deskterm.imports import dominant_recipient, history_start, run_import
from deskterm.store import Store, queries

SHOP = "support@shop.example"
NOW = datetime.now(UTC).replace(microsecond=0)


def mail(
    n: int, sender: str, to: str, days_ago: float, text: str, parent: int | None = None
) -> str:
    thread = f"In-Reply-To: <m{parent}@x.example>\n" if parent is not None else ""
    when = format_datetime(NOW - timedelta(days=days_ago))
    return (
        f"From: {sender}\nTo: {to}\nSubject: Order {1000 + n}\nDate: {when}\n"
        f"Message-ID: <m{n}@x.example>\n{thread}\n{text}\n"
    )


def write_mbox(path: Path, mails: list[str]) -> Path:
    box = mailbox.mbox(path)
    for text in mails:
        box.add(mailbox.mboxMessage(text))
    box.flush()
    box.close()
    return path


@pytest.fixture
def support_mbox(tmp_path: Path) -> Path:
    """Two months of a support address: customers write to it, the shop answers from it."""
    return write_mbox(
        tmp_path / "support.mbox",
        [
            mail(1, "Ada <ada@example.net>", SHOP, 60, "Where is my parcel? (old)"),
            mail(2, f"Shop Support <{SHOP}>", "Ada <ada@example.net>", 59, "It left today.", 1),
            mail(3, f"Shop Support <{SHOP}>", "Cy <cy@example.net>", 40, "Your order is delayed."),
            mail(4, "Bo <bo@example.net>", SHOP, 2, "My lamp arrived broken."),
            mail(
                5, f"Shop Support <{SHOP}>", "Bo <bo@example.net>", 1, "A new one is on its way.", 4
            ),
            mail(6, "Di <di@example.net>", SHOP, 0.01, "Can I change my address?"),
        ],
    )


def ticket_of(store: Store, address: str) -> dict:
    row = store.conn.execute(
        "SELECT t.id, t.status, t.sla_state FROM tickets t JOIN identities i"
        " ON i.customer_id = t.customer_id WHERE i.value = ?",
        (address,),
    ).fetchone()
    assert row is not None, address
    return {"id": row[0], "status": row[1], "sla_state": row[2]}


def test_the_address_most_mail_went_to_is_the_shops(support_mbox: Path) -> None:
    guess, leaders = dominant_recipient(mbox_recipients(support_mbox, 500))
    assert guess == SHOP
    assert leaders[0] == (SHOP, 0.5)


def test_no_address_is_guessed_when_none_clearly_leads() -> None:
    assert dominant_recipient([("a@x",), ("b@x",), ("a@x",), ("b@x",)])[0] is None
    assert dominant_recipient([])[0] is None


def test_the_shops_mail_is_stored_as_replies_never_as_a_customers(
    store: Store, support_mbox: Path
) -> None:
    result = run_import(store, MBOX, support_mbox, own_addresses=[SHOP], workers=0)

    assert result.added == 6
    shop = store.conn.execute("SELECT COUNT(*) FROM identities WHERE value = ?", (SHOP,))
    assert shop.fetchone() == (0,)
    bo = ticket_of(store, "bo@example.net")
    thread = queries.messages(store, bo["id"])
    assert [(m.direction, m.author_addr) for m in thread] == [
        ("in", "bo@example.net"),
        ("out", SHOP),
    ]
    assert thread[1].author_name == "Shop Support"
    # The shop wrote first to Cy: Cy's ticket, named after Cy.
    cy = ticket_of(store, "cy@example.net")
    assert queries.ticket(store, cy["id"]).customer_name == "Cy"


def test_mail_older_than_since_lands_solved_without_clocks_or_breaches(
    store: Store, support_mbox: Path
) -> None:
    since = history_start("30d", NOW, UTC)
    result = run_import(
        store, MBOX, support_mbox, own_addresses=[SHOP], history_before=since, workers=0
    )

    assert result.history == 3  # Ada's mail and our answer, our notice to Cy
    for old in ("ada@example.net", "cy@example.net"):
        ticket = ticket_of(store, old)
        assert ticket["status"] == "solved" and ticket["sla_state"] == ""
        breaches = store.conn.execute(
            "SELECT COUNT(*) FROM events WHERE ticket_id = ? AND kind = 'sla_breach'",
            (ticket["id"],),
        )
        assert breaches.fetchone() == (0,)
    # Recent mail is the live queue: Di waits for a first reply, with a clock running.
    di = ticket_of(store, "di@example.net")
    assert di["status"] == "new" and di["sla_state"] in ("running", "paused")
    # History stays searchable and on its customer.
    found = CliRunner().invoke(app, ["search", "parcel", "--json", "--db", str(store.path)])
    assert [hit["id"] for hit in json.loads(found.stdout)] == [
        ticket_of(store, "ada@example.net")["id"]
    ]


def test_since_reads_an_age_a_day_or_all() -> None:
    assert history_start("30d", NOW, UTC) == NOW - timedelta(days=30)
    assert history_start("2026-10-01", NOW, UTC) == datetime(2026, 10, 1, tzinfo=UTC)
    assert history_start("all", NOW, UTC) is None
    with pytest.raises(ValueError, match="neither an age"):
        history_start("last year", NOW, UTC)


def test_the_import_command_says_whose_mail_is_the_shops(
    support_mbox: Path, tmp_path: Path
) -> None:
    db = tmp_path / "shop.db"
    result = CliRunner().invoke(app, ["import", "mbox", str(support_mbox), "--db", str(db)])

    assert result.exit_code == 0, result.stderr
    assert f"mail from {SHOP} is stored as the shop's replies: 50% of the mail" in result.stderr
    assert "6 messages added (4 new tickets; 3 older than 30d, stored solved)" in result.stdout


def test_an_unclear_mailbox_is_reported_and_a_bad_since_refused(tmp_path: Path) -> None:
    path = write_mbox(
        tmp_path / "mixed.mbox",
        [mail(n, f"c{n}@example.net", f"shop{n % 2}@example.net", 1, "hi") for n in range(4)],
    )
    db = tmp_path / "shop.db"
    result = CliRunner().invoke(app, ["import", "mbox", str(path), "--db", str(db)])
    assert result.exit_code == 0
    assert "no address stands out as the shop's own (shop0@example.net 50%" in result.stderr

    bad = CliRunner().invoke(app, ["import", "mbox", str(path), "--since", "soon", "--db", str(db)])
    assert bad.exit_code == 2
    assert "--since 'soon' is neither an age" in bad.stderr
