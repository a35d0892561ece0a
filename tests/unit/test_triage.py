"""Offline triage: language, intent and mood of customer messages, stored, searchable, backfilled."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm.domain import Batch, Direction, Identity
from deskterm.store import Store, queries
from deskterm.store import triage as store_triage
from deskterm.store.filters import FilterError, parse
from deskterm.triage import language, mood
from deskterm.triage.backfill import backfill
from deskterm.triage.reader import classify
from deskterm.triage.text import own_words
from tests.conftest import NOW


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Danke!", "de"),
        ("Merci beaucoup", "fr"),
        ("¡Gracias!", "es"),
        ("Where is my parcel? I ordered it two weeks ago.", "en"),
        ("Wo bleibt meine Bestellung? Ich warte seit zwei Wochen.", "de"),
        ("Hoe kan ik mijn account verwijderen?", "nl"),
        ("注文した商品がまだ届いていません。", "ja"),
        ("#4410 12.11.", "und"),
    ],
)
def test_language_of_short_and_long_messages(text: str, lang: str) -> None:
    assert language.detect(text)[0] == lang


def test_quoted_mail_and_a_reply_subject_are_not_the_customers_words() -> None:
    words = own_words(
        "Re: Where is my order?",
        "Thanks, it came today!\n\nOn Mon, 3 Nov 2026, Shop <s@shop.example> wrote:\n> refund",
    )
    assert words == "Thanks, it came today!"


@pytest.mark.parametrize(
    ("subject", "text", "intent"),
    [
        ("", "My parcel still hasn't arrived, can you check the tracking?", "wismo"),
        ("", "I returned the jacket two weeks ago and still no refund.", "refund"),
        ("", "I'd like to return the shoes, how do I get a return label?", "return"),
        ("", "Bitte stornieren Sie meine Bestellung.", "cancel"),
        ("", "Le vase est arrivé cassé.", "damaged"),
        ("", "Los vaqueros me quedan pequeños, ¿puedo cambiarlos por otra talla?", "exchange"),
        ("", "Quando torna disponibile la giacca?", "stock"),
        ("", "Mijn kortingscode werkt niet.", "discount"),
        ("", "Is the tent waterproof?", "product"),
        ("", "I ordered a red scarf and got a yellow one, not what I ordered.", "complaint"),
        ("Re: order 44", "Thanks, it arrived today!", "thanks"),
        ("", "Thanks for the reply, but it still hasn't arrived.", "wismo"),
        ("", "Please unsubscribe me from the newsletter.", "other"),
    ],
)
def test_intent_of_a_message(subject: str, text: str, intent: str) -> None:
    assert classify(subject, text).intent == intent


def test_a_guess_names_the_phrases_that_decided_it() -> None:
    assert "stornieren" in classify("", "Bitte stornieren Sie die Bestellung").cues


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("This is a SCAM!!! I want my money back or I call my lawyer.", "en", "angry"),
        ("Ich gehe zum Anwalt, das ist Betrug.", "de", "angry"),
        ("Très déçue, le colis est arrivé abîmé.", "fr", "negative"),
        ("Could you change my delivery address, please? Thanks!", "en", "neutral"),
        ("Grazie mille, perfetto!", "it", "positive"),
        ("注文した商品がまだ届いていません。", "ja", "unknown"),
    ],
)
def test_mood(text: str, lang: str, expected: str) -> None:
    assert mood.classify(text, lang, thankful="grazie" in text.lower()).mood == expected


def test_thanks_closing_a_request_is_courtesy_not_delight() -> None:
    assert classify("", "Bitte stornieren Sie meine Bestellung. Danke").mood == "neutral"


def test_ingest_stores_each_customer_message_and_rolls_it_up_into_the_ticket(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    first = make_message(subject="Rückerstattung", text="Wann bekomme ich meine Rückerstattung?")
    deliver(first)
    deliver(
        make_message(
            subject="AW: Rückerstattung",
            text="Das ist BETRUG!!! Ich gehe zum Anwalt.",
            in_reply_to=first.message_id,
        )
    )
    ticket = queries.ticket(store, 1)
    assert ticket is not None
    assert (ticket.lang, ticket.intent, ticket.mood) == ("de", "refund", "angry")
    rows = store.conn.execute("SELECT intent, mood FROM messages ORDER BY id").fetchall()
    assert rows == [("refund", "neutral"), ("other", "angry")]


def test_a_thank_you_keeps_the_intent_the_ticket_is_about(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    first = make_message(subject="Cancel", text="Please cancel my order #44.")
    deliver(first)
    deliver(make_message(subject="Re: cancel", text="Thank you!", in_reply_to=first.message_id))
    ticket = queries.ticket(store, 1)
    assert ticket is not None
    assert (ticket.intent, ticket.mood) == ("cancel", "positive")


def test_our_replies_and_automatic_mail_are_not_triaged(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver(make_message(subject="", text="Out of office until Monday.", automatic=True))
    deliver(make_message(subject="", text="Your order has shipped.", direction=Direction.OUT))
    assert store.conn.execute(
        "SELECT count(*) FROM messages WHERE lang IS NOT NULL"
    ).fetchone() == (0,)
    assert store_triage.unread_count(store.conn) == 0


def test_search_finds_tickets_by_language_intent_and_mood(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver(
        make_message(subject="", text="Où est ma commande ? Toujours rien reçu.", sender=_who("a")),
        make_message(subject="", text="I want a refund. You are thieves!!!", sender=_who("b")),
        make_message(subject="", text="Is the lamp dimmable?", sender=_who("c")),
    )

    def found(query: str) -> list[int]:
        return [r.id for r in queries.queue_page(store, parse(query), NOW + timedelta(hours=1))]

    assert found("lang:fr") == [1]
    assert found("intent:refund,product") == [2, 3]
    assert found("mood:angry") == [2]
    assert found("-mood:angry lang:EN") == [3]


def _who(name: str) -> Identity:
    return Identity("email", f"{name}@example.com")


@pytest.mark.parametrize(
    ("query", "message"),
    [("intent:refnd", "intent:refnd is unknown"), ("mood:sad", "mood:sad is unknown")],
)
def test_unknown_triage_values_name_the_known_ones(query: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse(query)


def test_backfill_reads_messages_stored_before_triage_in_chunks(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver(
        *[
            make_message(subject="", text="Where is my parcel?", sender=_who(f"c{n}"))
            for n in range(5)
        ]
    )
    with store.tx() as conn:
        conn.execute("UPDATE messages SET lang = NULL, intent = NULL, mood = NULL")
        conn.execute("UPDATE tickets SET lang = NULL, intent = NULL, mood = NULL")
    seen: list[tuple[int, int]] = []
    assert backfill(store, chunk=2, progress=lambda done, total: seen.append((done, total))) == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert store.conn.execute("SELECT DISTINCT intent, lang FROM tickets").fetchall() == [
        ("wismo", "en")
    ]
    assert backfill(store) == 0


def test_backfill_leaves_the_mood_of_a_newer_message_read_at_ingest(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    first = make_message(subject="", text="You are thieves, I am calling my lawyer!")
    deliver(first)
    with store.tx() as conn:
        conn.execute("UPDATE messages SET lang = NULL, intent = NULL, mood = NULL")
    deliver(make_message(subject="Re: x", text="Thank you!", in_reply_to=first.message_id))
    backfill(store)
    ticket = queries.ticket(store, 1)
    assert ticket is not None
    assert ticket.mood == "positive"


def test_intent_volume_counts_tickets_opened_in_the_window(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver(
        make_message(subject="", text="Where is my parcel?", sender=_who("a")),
        make_message(
            subject="", text="My tracking has not moved, where is my order?", sender=_who("b")
        ),
        make_message(subject="", text="Please cancel my order.", sender=_who("c")),
    )
    week = NOW - timedelta(days=7)
    assert store_triage.intent_volume(store.conn, week, NOW + timedelta(days=1)) == [
        ("wismo", 2),
        ("cancel", 1),
    ]
    assert store_triage.intent_volume(store.conn, NOW + timedelta(days=1), NOW) == []


def test_the_search_language_loads_no_classifier() -> None:
    probe = (
        "import sys, deskterm.store.filters\n"
        "print(sorted(m for m in sys.modules if m.startswith(('py3langid', 'vaderSentiment',"
        " 'numpy', 'deskterm.triage.reader'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


ANGRY_GERMAN = """
name = "angry-german"
when = ["ticket_created", "customer_message"]
then = [{ priority = "urgent" }, { tag = "de-angry" }]
if.all = [
  { field = "language", is = "de" },
  { field = "sentiment", is = "angry" },
  { field = "intent", in = ["refund", "wismo"] },
]
"""

THANKS_SOLVES = """
name = "thanks-solves"
when = ["customer_message"]
then = [{ status = "solved" }]
if.all = [{ field = "message_intent", is = "thanks" }, { field = "intent", is = "cancel" }]
"""


def test_rules_read_language_intent_and_sentiment_at_ingest(
    store: Store, make_message: Callable
) -> None:
    from deskterm import automation, ingest

    rules = automation.RuleSet()
    for text in (ANGRY_GERMAN, THANKS_SOLVES):
        rule = automation.parse_rule(text)
        rules.rules[rule.name] = rule
    first = make_message(subject="Betrug", text="Ich will mein Geld zurück!!! Ich gehe zum Anwalt.")
    ingest.ingest_batch(store, "mail", Batch([first], {}), now=NOW, rules=rules)
    ticket = queries.ticket(store, 1)
    assert ticket is not None
    assert (ticket.priority, ticket.tags) == ("urgent", ("de-angry",))

    cancel = make_message(subject="Cancel", text="Please cancel order 9.", sender=_who("z"))
    ingest.ingest_batch(store, "mail", Batch([cancel], {}), now=NOW, rules=rules)
    thanks = make_message(
        subject="Re: Cancel", text="Thank you!", sender=_who("z"), in_reply_to=cancel.message_id
    )
    ingest.ingest_batch(store, "mail", Batch([thanks], {}), now=NOW, rules=rules)
    solved = queries.ticket(store, 2)
    assert solved is not None and solved.status == "solved"


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ('{ field = "intent", is = "refnd" }', "intent 'refnd' is unknown"),
        ('{ field = "sentiment", in = ["angry", "sad"] }', "sentiment 'sad' is unknown"),
    ],
)
def test_a_rule_testing_an_unknown_intent_or_mood_is_refused_at_load(
    condition: str, problem: str
) -> None:
    from deskterm import automation

    text = (
        f'name = "x"\nwhen = ["ticket_created"]\nthen = [{{ tag = "x" }}]\nif.all = [{condition}]\n'
    )
    with pytest.raises(automation.RuleError, match=problem):
        automation.parse_rule(text)


STOCK_LIKE = [
    ("refund-confirmation", "Confirm a refund has been issued, then solve the ticket"),
    ("return-instructions", "Explain how to send an item back for a refund"),
    ("wismo", "Where is my order: send the tracking link"),
    ("thank-you-csat", "Thank the customer, ask how we did"),
]


def test_with_no_words_in_common_the_macros_used_on_the_same_intent_are_suggested(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    from deskterm import actions
    from deskterm.triage.suggest import suggest

    deliver(
        make_message(subject="", text="Where is my refund?", sender=_who("a")),
        make_message(subject="", text="Still no refund for my return.", sender=_who("b")),
        make_message(subject="", text="I would like my money back.", sender=_who("c")),
    )
    for ticket in (1, 2):
        actions.tag(store, ticket, "refunded", actor="macro:return-instructions", at=NOW)
    undone = actions.tag(store, 2, "x", actor="macro:thank-you-csat", at=NOW)
    actions.undo(store, actor="macro:thank-you-csat", at=NOW)
    assert undone.event_id

    found = suggest(store, 3, "refund", STOCK_LIKE)
    assert [(s.name, s.reason) for s in found] == [
        ("return-instructions", "used on 2 other refund tickets"),
        ("refund-confirmation", "named for refund"),
    ]
    assert suggest(store, 3, "other", STOCK_LIKE) == []
    assert [s.name for s in suggest(store, 3, "wismo", STOCK_LIKE)] == ["wismo"]


def test_the_sidebar_shows_what_triage_read_and_the_suggestions() -> None:
    from deskterm.triage.suggest import Suggestion
    from deskterm.tui.widgets.sidebar import triage_lines

    lines = triage_lines(
        "refund", "de", "angry", [Suggestion("refund-confirmation", "named for refund")]
    )
    assert [line.plain for line in lines] == [
        "refund · de · angry",
        "macro refund-confirmation  named for refund",
    ]
    unread = triage_lines(None, None, None, [])
    assert unread[0].plain == "not read yet (deskterm triage backfill)"


def test_the_stock_triage_rules_route_by_mood_intent_and_language(
    store: Store, make_message: Callable
) -> None:
    from deskterm import automation, ingest

    stock = automation.load_rules(Path("/nonexistent"), stock=True)
    rules = automation.RuleSet(
        {name: stock.get(name) for name in ("angry-customer", "route-returns", "route-language")}
    )
    angry = make_message(subject="", text="Ich will mein Geld zurück, sonst gehe ich zum Anwalt!!!")
    ingest.ingest_batch(store, "mail", Batch([angry], {}), now=NOW, rules=rules)
    ticket = queries.ticket(store, 1)
    assert ticket is not None
    assert ticket.priority == "high"
    assert ticket.tags == ("angry", "not-english", "returns")
