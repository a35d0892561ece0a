"""Survey answers by mail: what counts as a rating, and what does not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from deskterm import actions
from deskterm.config import Config
from deskterm.domain import Identity
from deskterm.macros.placeholders import placeholders
from deskterm.metrics.handling import Stopwatch
from deskterm.metrics.surveys import Answer, asked, question, read_answer
from deskterm.sla import clocks
from deskterm.sla.settings import parse_sla

SUBJECT = "Re: Where is my order? [#42]"


@pytest.fixture(autouse=True)
def default_policies():
    clocks.use_policies(parse_sla(None))
    yield
    clocks.use_policies(None)


def test_the_question_carries_a_mailto_link_per_rating_back_to_the_ticket():
    text = question("csat", "help@shop.example", SUBJECT)
    links = [line.split(": ", 1)[1] for line in text.splitlines() if "mailto:" in line]
    assert len(links) == 5
    parts = urlsplit(links[3])
    assert (parts.scheme, parts.path) == ("mailto", "help@shop.example")
    query = parse_qs(parts.query)
    assert query["subject"] == [f"{SUBJECT} CSAT 4"] and query["body"] == ["My rating: 4"]
    assert asked(text) == ("csat",)


def test_without_an_address_the_question_asks_for_a_reply_only():
    text = question("ces", "", SUBJECT)
    assert "mailto:" not in text and asked(text) == ("ces",)


def test_a_link_answer_is_read_from_its_subject():
    subject = unquote(f"{SUBJECT} CSAT 4")
    assert read_answer(subject, "My rating: 4", {"csat"}, ()) == Answer("csat", 4, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", Answer("csat", 5, "")),
        ("4/5\nQuick, thanks!", Answer("csat", 4, "Quick, thanks!")),
        (
            "3 - slow but fine\n\nOn Mon, 23 Nov 2026 Shop wrote:\n> How happy",
            Answer("csat", 3, "slow but fine"),
        ),
        ("1 more thing: where is my refund?", None),
        ("6", None),  # outside the 1-5 scale
        ("Thanks! 5", None),
    ],
)
def test_a_bare_number_answers_the_survey_our_last_reply_asked(text, expected):
    assert read_answer("Re: Where is my order?", text, {"csat"}, ("csat",)) == expected


def test_a_number_answers_nothing_when_our_last_reply_asked_nothing():
    assert read_answer("Re: x", "5", {"csat"}, ()) is None


def test_a_link_for_a_survey_the_ticket_never_asked_is_no_rating():
    assert read_answer(f"{SUBJECT} CES 7", "", {"csat"}, ("csat",)) is None


def test_a_long_message_that_starts_with_a_number_is_a_message():
    assert read_answer("Re: x", "2. " + "word " * 200, {"csat"}, ("csat",)) is None


def test_handle_time_leaves_out_idle_gaps_and_counts_composing():
    watch = Stopwatch(ticket_id=1, idle=300, last=0.0)
    watch.touch(60)  # reading
    watch.compose(120, True)
    watch.touch(200)
    watch.compose(260, False)
    watch.touch(1000)  # 740 s without a key: walked away, not counted
    assert watch.stop(1030) == (60 + 60 + 80 + 60 + 30, 80 + 60)


# ---- answers arriving by mail, through ingest -------------------------------------------------

WED_10 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
AGENT = "agent:anna"


@pytest.fixture
def surveyed(store, make_message, deliver):
    """Ticket #1: Anna asked, we answered with the CSAT question and solved it."""
    store.conn.execute(
        "INSERT INTO accounts (name, connector, channel, address, created_at)"
        " VALUES ('mail', 'email', 'email', 'help@shop.example', '2026-01-01T00:00:00Z')"
    )
    deliver(make_message(sent_at=WED_10), at=WED_10)
    values = placeholders(store, 1, agent="anna", config=Config())
    body = f"Sorted.\n\n{values['survey'].csat}"
    done = actions.reply(store, 1, body, actor=AGENT, at=WED_10 + timedelta(hours=1))
    actions.resolve(store, 1, actor=AGENT, at=WED_10 + timedelta(hours=1))
    return store.conn.execute(
        "SELECT message_id FROM messages WHERE id = ?", (done.message_id,)
    ).fetchone()[0]


def ratings(store):
    return [
        (ticket, json.loads(data))
        for ticket, data in store.conn.execute(
            "SELECT ticket_id, data FROM events WHERE kind = 'rating'"
        )
    ]


def status(store, ticket=1):
    return store.conn.execute("SELECT status FROM tickets WHERE id = ?", (ticket,)).fetchone()[0]


def test_the_placeholder_links_answer_to_the_account_address(store, surveyed):
    text = placeholders(store, 1, agent="anna", config=Config())["survey"].csat
    assert (
        "mailto:help@shop.example?subject=Re%3A%20Where%20is%20my%20order%3F%20%5B%231%5D%20CSAT%205"
        in text
    )


def test_a_number_in_reply_is_a_rating_that_reopens_nothing_and_starts_no_clock(
    store, surveyed, make_message, deliver
):
    later = WED_10 + timedelta(days=1)
    reply = make_message(sent_at=later, text="5\nVery quick, thank you!", in_reply_to=surveyed)
    result = deliver(reply, at=later)
    assert result.ratings == 1 and result.reopened == 0
    assert ratings(store) == [
        (1, {"comment": "Very quick, thank you!", "message": 3, "score": 5, "survey": "csat"})
    ]
    assert status(store) == "solved"
    evaluation = clocks.evaluate_ticket(store.conn, 1, later + timedelta(days=2))
    assert [c.kind for c in evaluation.clocks] == ["first_reply", "resolution"]


def test_a_mailto_answer_rates_the_ticket_its_subject_names(store, surveyed, make_message, deliver):
    later = WED_10 + timedelta(days=1)
    subject = "Re: Where is my order? [#1] CSAT 4"
    deliver(make_message(sent_at=later, subject=subject, text="My rating: 4"), at=later)
    assert [(t, d["score"]) for t, d in ratings(store)] == [(1, 4)]
    assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1


def test_a_stranger_cannot_rate_someone_elses_ticket(store, surveyed, make_message, deliver):
    later = WED_10 + timedelta(days=1)
    subject = "Re: Where is my order? [#1] CSAT 1"
    stranger = Identity("email", "bot@scanner.example")
    deliver(make_message(sent_at=later, subject=subject, sender=stranger), at=later)
    assert ratings(store) == []
    assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 2


def test_a_rating_on_a_closed_ticket_stays_on_it(store, surveyed, make_message, deliver):
    actions.set_status(store, 1, "closed", actor=AGENT, at=WED_10 + timedelta(hours=2))
    later = WED_10 + timedelta(days=3)
    deliver(make_message(sent_at=later, text="4", in_reply_to=surveyed), at=later)
    assert [(t, d["score"]) for t, d in ratings(store)] == [(1, 4)]
    assert status(store) == "closed"


def test_a_message_that_is_no_rating_reopens_as_ever(store, surveyed, make_message, deliver):
    later = WED_10 + timedelta(days=1)
    text = "1 more thing: the box was wet."
    deliver(make_message(sent_at=later, text=text, in_reply_to=surveyed), at=later)
    assert ratings(store) == [] and status(store) == "open"
