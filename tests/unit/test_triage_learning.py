"""Triage learns from tickets people tagged with an intent: a shop whose customers write in words
the stock cues do not know is read right after 100 tagged tickets; untagging, undo and a rule's
tags teach (or take back) what a user would expect."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import actions, ingest
from deskterm.cli.main import app
from deskterm.domain import Batch, Identity
from deskterm.store import Store
from deskterm.triage import evaluation, teach
from deskterm.triage.learning import Learned, features
from deskterm.triage.reader import classify
from tests import polish_shop
from tests.conftest import NOW

PERSON = "agent:anna"


def deliver(store: Store, make_message, texts: list[str]) -> list[int]:
    """Each text as the first message of a ticket of its own; their ticket ids."""
    messages = [
        make_message(sender=Identity("email", f"klient{n}@example.pl"), subject="", text=text)
        for n, text in enumerate(texts)
    ]
    ingest.ingest_batch(store, "mail", Batch(messages, {}), now=NOW)
    return [
        store.conn.execute(
            "SELECT ticket_id FROM messages WHERE external_id = ?", (m.external_id,)
        ).fetchone()[0]
        for m in messages
    ]


def tag_all(store: Store, make_message, shop: list[tuple[str, str]], actor: str) -> list[int]:
    tickets = deliver(store, make_message, [text for _, text in shop])
    for ticket, (intent, _) in zip(tickets, shop, strict=True):
        actions.tag(store, ticket, intent, actor=actor)
    return tickets


def macro_f1(shop: list[tuple[str, str]], learned: Learned | None) -> float:
    samples = [evaluation.Labelled("pl", intent, "neutral", "", text) for intent, text in shop]

    def guess(subject: str, text: str) -> evaluation.Guess:
        found = classify(subject, text, learned)
        return found.lang, found.intent, found.mood

    return evaluation.evaluate(samples, guess).macro_f1("intent")


def test_a_shop_in_words_the_cues_do_not_know_is_read_after_100_tagged_tickets(
    store: Store, make_message
) -> None:
    held_out = polish_shop.messages(60, seed=2)
    before = macro_f1(held_out, teach.model(store))

    tag_all(store, make_message, polish_shop.messages(100, seed=1), PERSON)
    after = macro_f1(held_out, teach.model(store))

    assert before < 0.1
    assert after >= 0.8
    assert len(teach.model(store)) == 100


def test_a_new_message_is_read_with_what_the_tags_taught_and_says_so(
    store: Store, make_message
) -> None:
    tag_all(store, make_message, polish_shop.messages(60, seed=1), PERSON)
    [ticket] = deliver(store, make_message, ["Dzień dobry,\nChcę anulować zamówienie #4321."])

    intent = store.conn.execute("SELECT intent FROM tickets WHERE id = ?", (ticket,)).fetchone()
    found = classify("", "Chcę anulować zamówienie #4321.", teach.model(store))
    assert intent == ("cancel",)
    assert found.cues and all(cue.startswith("learned: ") for cue in found.cues)
    assert "learned: anulować" in found.cues


def test_a_cue_phrase_that_says_the_intent_outright_keeps_it(store: Store, make_message) -> None:
    # The shop tagged English "where is my order" mail as a refund; the cue still decides.
    wrong = [("refund", "Where is my order? It has not arrived.")] * 12
    tag_all(store, make_message, wrong, PERSON)
    assert classify("", "Where is my order?", teach.model(store)).intent == "wismo"


def test_tags_given_by_rules_or_naming_no_intent_teach_nothing(store: Store, make_message) -> None:
    shop = polish_shop.messages(12, seed=1)
    tickets = tag_all(store, make_message, shop, "rule:route-polish")
    actions.tag(store, tickets[0], "vip", actor=PERSON)
    assert len(teach.model(store)) == 0


def test_a_ticket_with_two_intent_tags_teaches_nothing(store: Store, make_message) -> None:
    [ticket] = tag_all(store, make_message, [("refund", "Proszę o zwrot pieniędzy.")], PERSON)
    actions.tag(store, ticket, "return", actor=PERSON)
    assert len(teach.model(store)) == 0


def test_untagging_or_undoing_the_tag_takes_back_what_it_taught(store: Store, make_message) -> None:
    [ticket] = tag_all(store, make_message, [("refund", "Proszę o zwrot pieniędzy.")], PERSON)
    taught = teach.model(store)
    assert taught.tickets == {"refund": 1}
    assert taught.counts["zwrot"] == {"refund": 1}

    actions.untag(store, ticket, "refund", actor=PERSON)
    assert len(teach.model(store)) == 0
    actions.undo(store, actor=PERSON)
    assert teach.model(store).tickets == {"refund": 1}

    retagged = store.conn.execute("SELECT count(*) FROM triage_words").fetchone()[0]
    assert retagged == len(features("Proszę o zwrot pieniędzy."))


def test_triage_learn_takes_in_tags_from_elsewhere_and_rebuilds(
    store: Store, make_message, db_path: Path
) -> None:
    tickets = deliver(store, make_message, ["Proszę o zwrot pieniędzy.", "Chcę anulować."])
    with store.tx() as conn:
        # Tags that arrived without the tag action (a replica, an older version).
        conn.executemany(
            "INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?)",
            [(tickets[0], "refund"), (tickets[1], "cancel")],
        )
    runner = CliRunner()

    first = runner.invoke(app, ["--db", str(db_path), "triage", "learn"])
    again = runner.invoke(app, ["--db", str(db_path), "triage", "learn", "--rebuild"])

    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "learned from 2 tickets, took back 0",
        "triage now knows 2 tagged tickets: cancel 1, refund 1",
    ]
    assert again.output.splitlines()[0] == "learned from 2 tickets, took back 0"


@pytest.mark.parametrize("text", ["", "12345", "?!"])
def test_a_message_without_words_is_left_to_the_cues(text: str) -> None:
    model = Learned.of({"refund": 20}, [("zwrot", "refund", 20)])
    assert model.guess(text) is None


def test_triage_read_names_the_words_the_workspace_taught(
    store: Store, make_message, db_path: Path
) -> None:
    tag_all(store, make_message, polish_shop.messages(60, seed=1), PERSON)

    shown = CliRunner().invoke(
        app, ["--db", str(db_path), "triage", "read", "Chcę anulować zamówienie"]
    )

    assert shown.exit_code == 0, shown.output
    assert "intent    cancel  because: learned: anulować" in shown.output
