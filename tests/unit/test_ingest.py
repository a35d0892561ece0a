"""Ingest: dedupe, threading, customer identity, reopening, and batches committed with their cursor."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from deskterm import actions, ingest
from deskterm.domain import Batch, Identity, OrderSnapshot
from deskterm.sla import clocks
from deskterm.store import Store, open_store, sync_state

COUNTED = ("tickets", "messages", "customers", "identities", "events")


def counts(store: Store) -> dict[str, int]:
    return {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}


def test_ingesting_the_same_batch_twice_changes_nothing(
    store: Store, make_message, deliver
) -> None:
    batch = [make_message(), make_message(subject="Return"), make_message(subject="Refund")]
    first = deliver(*batch)
    before = counts(store)

    again = deliver(*batch)

    assert (first.added, again.added, again.duplicates) == (3, 0, 3)
    assert counts(store) == before


def test_the_same_mail_in_two_folders_is_stored_once(store: Store, make_message, deliver) -> None:
    deliver(make_message(external_id="INBOX/7", message_id="<same@x>"))
    result = deliver(make_message(external_id="All Mail/91", message_id="<same@x>"))
    assert result.duplicates == 1
    assert counts(store)["messages"] == 1


def test_a_reply_chain_lands_in_one_ticket(store: Store, make_message, deliver, now) -> None:
    deliver(make_message(message_id="<a@x>"))
    ticket = store.conn.execute("SELECT id FROM tickets").fetchone()[0]
    ours = actions.reply(store, ticket, "Looking into it", actor="agent:bob", at=now)
    our_id = store.conn.execute(
        "SELECT message_id FROM messages WHERE id = ?", (ours.message_id,)
    ).fetchone()[0]

    deliver(
        make_message(
            subject="Re: Where is my order?", in_reply_to=our_id, references=("<a@x>", our_id)
        ),
        make_message(subject="RE: again", message_id="<c@x>", references=("<a@x>",)),
    )

    assert counts(store)["tickets"] == 1
    assert counts(store)["messages"] == 4


def test_conversation_id_threads_marketplace_messages(store: Store, make_message, deliver) -> None:
    ebay = {"account": "ebay", "channel": "ebay", "sender": Identity("ebay", "buyer_1")}
    deliver(make_message(**ebay, conversation_id="c-1", message_id=None))
    deliver(make_message(**ebay, conversation_id="c-1", message_id=None, subject="other words"))
    assert counts(store)["tickets"] == 1


def test_subject_token_threads_only_for_the_same_customer(
    store: Store, make_message, deliver
) -> None:
    deliver(make_message())
    ticket = store.conn.execute("SELECT id FROM tickets").fetchone()[0]

    deliver(make_message(subject=f"Re: order [#{ticket}]", message_id="<own@x>"))
    deliver(
        make_message(
            subject=f"Fwd: [#{ticket}] look at this",
            sender=Identity("email", "stranger@evil.example"),
            message_id="<stranger@x>",
        )
    )

    rows = store.conn.execute(
        "SELECT m.message_id, m.ticket_id FROM messages m ORDER BY m.id"
    ).fetchall()
    assert rows[1] == ("<own@x>", ticket)
    assert rows[2][1] != ticket


def test_a_customer_message_reopens_a_solved_ticket(
    store: Store, make_message, deliver, now
) -> None:
    deliver(make_message(message_id="<a@x>"))
    ticket = store.conn.execute("SELECT id FROM tickets").fetchone()[0]
    actions.resolve(store, ticket, actor="agent:bob", at=now)

    result = deliver(make_message(in_reply_to="<a@x>"), at=now + timedelta(hours=1))

    assert result.reopened == 1
    assert store.conn.execute("SELECT status FROM tickets").fetchone() == ("open",)


def test_automatic_mail_does_not_reopen(store: Store, make_message, deliver, now) -> None:
    deliver(make_message(message_id="<a@x>"))
    ticket = store.conn.execute("SELECT id FROM tickets").fetchone()[0]
    actions.resolve(store, ticket, actor="agent:bob", at=now)

    deliver(make_message(in_reply_to="<a@x>", automatic=True, subject="Out of office"))

    assert store.conn.execute("SELECT status FROM tickets").fetchone() == ("solved",)


def test_mail_to_a_closed_ticket_opens_a_new_one(store: Store, make_message, deliver, now) -> None:
    deliver(make_message(message_id="<a@x>"))
    ticket = store.conn.execute("SELECT id FROM tickets").fetchone()[0]
    actions.resolve(store, ticket, actor="agent:bob", at=now)
    actions.set_status(store, ticket, "closed", actor="agent:bob", at=now)

    deliver(make_message(in_reply_to="<a@x>"))

    assert counts(store)["tickets"] == 2


def test_one_customer_across_channels_through_shared_identities(
    store: Store, make_message, deliver
) -> None:
    deliver(make_message(sender=Identity("email", "Anna@Example.com")))
    deliver(
        make_message(
            account="ebay",
            channel="ebay",
            sender=Identity("ebay", "anna_a"),
            extra_identities=(Identity("email", "anna@example.com"),),
        )
    )
    assert counts(store)["customers"] == 1
    assert sorted(store.conn.execute("SELECT kind, value FROM identities").fetchall()) == [
        ("ebay", "anna_a"),
        ("email", "anna@example.com"),
    ]


def test_a_batch_commits_with_its_cursor_or_not_at_all(
    store: Store, make_message, monkeypatch
) -> None:
    good = make_message()
    ingest.ingest_batch(store, "mail", Batch([good], {"uid": 1}, "INBOX"))
    assert sync_state.load_cursors(store.conn, "mail") == {"INBOX": {"uid": 1}}

    real = ingest._ingest_one
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_ingest_one", crash_on_second)
    before = counts(store)
    with pytest.raises(RuntimeError):
        ingest.ingest_batch(
            store, "mail", Batch([make_message(), make_message()], {"uid": 3}, "INBOX")
        )

    assert counts(store) == before
    assert sync_state.load_cursors(store.conn, "mail") == {"INBOX": {"uid": 1}}


def test_order_numbers_in_a_message_link_the_ticket_to_the_order(
    store: Store, make_message, now
) -> None:
    order = OrderSnapshot(
        account="shop",
        external_id="o-1",
        number="#1042",
        customer=Identity("email", "anna@example.com"),
        status="in_transit",
        placed_at=now - timedelta(days=3),
        tracking_number="1Z999",
    )
    batch = Batch([make_message(order_numbers=("#1042",))], {}, orders=[order])
    ingest.ingest_batch(store, "mail", batch, now=now)

    row = store.conn.execute(
        "SELECT o.number, o.tracking_number FROM tickets t JOIN orders o ON o.id = t.order_id"
    ).fetchone()
    assert row == ("#1042", "1Z999")
    assert counts(store)["customers"] == 1


def test_a_mail_naming_an_order_links_it_only_when_exactly_one_order_has_that_number(
    store: Store, make_message, now
) -> None:
    from deskterm.store import orders as store_orders

    def order(account: str, number: str, buyer: str) -> OrderSnapshot:
        return OrderSnapshot(
            account=account,
            external_id=f"{account}{number}",
            number=number,
            customer=Identity("email", buyer),
            status="paid",
            placed_at=now - timedelta(days=3),
        )

    orders = [
        order("shop", "#1361", "buyer@example.com"),
        order("shop", "#1500", "first@example.com"),
        order("second-shop", "#1500", "second@example.com"),
    ]
    # Not from the buyer's address: only the number can tell which order the mail is about.
    names = {"Order #1361 never came": ("1361",), "order 1500": ("1500",), "order 9999": ("9999",)}
    mails = [
        make_message(sender=Identity("email", f"writer{n}@example.net"), subject=s, order_numbers=o)
        for n, (s, o) in enumerate(names.items())
    ]
    ingest.ingest_batch(store, "mail", Batch(mails, {}, orders=orders), now=now)

    linked = dict(
        store.conn.execute(
            "SELECT t.subject, o.number FROM tickets t LEFT JOIN orders o ON o.id = t.order_id"
        ).fetchall()
    )
    assert linked == {"Order #1361 never came": "#1361", "order 1500": None, "order 9999": None}
    # The ticket shows the order it names, though it is another customer's.
    ticket = store.conn.execute("SELECT customer_id, order_id FROM tickets WHERE id = 1").fetchone()
    shown = store_orders.orders_of_customer_and_ticket(store, *ticket)
    assert [o.number for o in shown] == ["#1361"]


def test_messages_are_searchable_right_after_ingest(store: Store, make_message, deliver) -> None:
    deliver(make_message(text="The parcel was damaged in transit"))
    hits = store.conn.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'damaged'"
    ).fetchall()
    assert len(hits) == 1


def test_every_ingested_message_writes_an_event(store: Store, make_message, deliver) -> None:
    deliver(make_message(message_id="<a@x>"), make_message(in_reply_to="<a@x>"))
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["created", "message_in"]
    data = json.loads(store.conn.execute("SELECT data FROM events").fetchone()[0])
    assert data["channel"] == "email"


def test_a_reply_to_a_merged_ticket_lands_in_the_ticket_it_was_merged_into(
    store: Store, make_message, deliver, now
) -> None:
    deliver(
        make_message(message_id="<first@x>"), make_message(message_id="<second@x>", subject="2")
    )
    actions.merge(store, 2, 1, actor="agent:bob", at=now)

    deliver(make_message(in_reply_to="<second@x>"))

    assert store.conn.execute(
        "SELECT ticket_id FROM messages ORDER BY id DESC LIMIT 1"
    ).fetchone() == (1,)
    assert counts(store)["tickets"] == 2


SLA_COLUMNS = (
    "SELECT id, next_deadline, warn_at, sla_state, sla_recheck_at FROM tickets ORDER BY id"
)
BREACHES = "SELECT ticket_id, at, data FROM events WHERE kind = 'sla_breach' ORDER BY ticket_id, at"


def _history(make_message, now) -> list:
    """Two batches where the second continues tickets of the first, some long overdue."""
    first = [
        make_message(
            sender=Identity("email", f"c{n}@example.com"),
            message_id=f"<m{n}@example.com>",
            sent_at=now - timedelta(days=n),
        )
        for n in range(6)
    ]
    second = [
        make_message(
            sender=Identity("email", f"c{n}@example.com"),
            in_reply_to=f"<m{n}@example.com>",
            sent_at=now - timedelta(hours=n),
        )
        for n in range(0, 6, 2)
    ] + [make_message(sender=Identity("email", "new@example.com"))]
    return [first, second]


def test_deferred_sla_settles_to_what_a_refresh_per_batch_gives(
    store: Store, tmp_path, make_message, now
) -> None:
    batches = _history(make_message, now)
    for batch in batches:
        ingest.ingest_batch(store, "mail", Batch(batch, {}), now=now)
    deferred = open_store(tmp_path / "deferred.db")
    for batch in batches:
        ingest.ingest_batch(deferred, "mail", Batch(batch, {}), now=now, defer_sla=True)
    assert {r[3] for r in deferred.conn.execute(SLA_COLUMNS)} == {""}
    assert clocks.settle(deferred, now, chunk=3) == 7

    expected = store.conn.execute(SLA_COLUMNS).fetchall()
    assert {r[3] for r in expected} >= {"breached", "running"}
    assert deferred.conn.execute(SLA_COLUMNS).fetchall() == expected
    assert deferred.conn.execute(BREACHES).fetchall() == store.conn.execute(BREACHES).fetchall()
    assert deferred.conn.execute("SELECT COUNT(*) FROM sla_unsettled").fetchone() == (0,)
    deferred.close()


def test_a_tick_settles_what_a_crashed_import_left_a_slice_at_a_time(
    store: Store, make_message, now, monkeypatch
) -> None:
    for batch in _history(make_message, now):
        ingest.ingest_batch(store, "mail", Batch(batch, {}), now=now, defer_sla=True)
    monkeypatch.setattr(clocks, "TICK_SETTLE_LIMIT", 4)

    clocks.tick(store, now)
    assert store.conn.execute("SELECT COUNT(*) FROM sla_unsettled").fetchone() == (3,)
    clocks.tick(store, now)
    assert store.conn.execute("SELECT COUNT(*) FROM sla_unsettled").fetchone() == (0,)
    assert "" not in {r[3] for r in store.conn.execute(SLA_COLUMNS)}


def test_a_settler_writes_background_outcomes_only_for_tickets_unchanged_since_read(
    store: Store, tmp_path, make_message, now, monkeypatch
) -> None:
    monkeypatch.setattr(clocks, "SETTLER_STEP", 3)
    first, second = _history(make_message, now)
    settler = clocks.Settler(store, now)
    ingest.ingest_batch(store, "mail", Batch(first, {}), now=now, defer_sla=True)
    settler.step()  # reads tickets 1-3 and evaluates them in the background
    # Ticket 1 gets a reply before the outcomes are written: its outcome is stale.
    ingest.ingest_batch(store, "mail", Batch(second[:1], {}), now=now, defer_sla=True)
    settler._job[2].result()  # the background evaluation is done
    settler.step()  # writes tickets 2 and 3, keeps 1 unsettled, starts the next job
    unsettled = {r[0] for r in store.conn.execute("SELECT ticket_id FROM sla_unsettled")}
    assert 1 in unsettled and not {2, 3} & unsettled
    ingest.ingest_batch(store, "mail", Batch(second[1:], {}), now=now, defer_sla=True)
    assert settler.finish() > 0

    immediate = open_store(tmp_path / "immediate.db")
    for batch in (first, second[:1], second[1:]):
        ingest.ingest_batch(immediate, "mail", Batch(batch, {}), now=now)
    assert (
        store.conn.execute(SLA_COLUMNS).fetchall() == immediate.conn.execute(SLA_COLUMNS).fetchall()
    )
    assert store.conn.execute("SELECT COUNT(*) FROM sla_unsettled").fetchone() == (0,)
    immediate.close()


def fts_in_step(store: Store) -> None:
    """FTS5's own check that the index holds exactly the messages table's rows and words."""
    store.conn.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")


def test_every_way_a_message_comes_or_goes_keeps_the_search_index_exact(
    store: Store, make_message, now
) -> None:
    first = make_message(text="parcel lost in transit")
    reply = make_message(
        text="still waiting for the parcel", in_reply_to=first.message_id, sender=first.sender
    )
    other = make_message(text="wrong colour lamp")
    ingest.ingest_batch(store, "mail", Batch([first, reply, other, first], {}), now=now)
    fts_in_step(store)
    ticket = store.conn.execute("SELECT MIN(id) FROM tickets").fetchone()[0]
    actions.reply(store, ticket, "A replacement parcel left today", actor="agent:anna", at=now)
    actions.note(store, ticket, "courier claim filed", actor="agent:anna", at=now)
    fts_in_step(store)
    actions.undo(store, actor="agent:anna", at=now)  # the note goes
    outbox = store.conn.execute("SELECT MAX(id) FROM outbox").fetchone()[0]
    actions.cancel_send(store, outbox, actor="agent:anna", at=now)  # the reply goes
    fts_in_step(store)

    def found(word: str) -> int:
        return store.conn.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", (word,)
        ).fetchone()[0]

    assert (found("parcel"), found("lamp"), found("replacement"), found("courier")) == (2, 1, 0, 0)
