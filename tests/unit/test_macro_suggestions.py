"""Suggested macros by likeness: the ticket's last customer message against the messages each
macro answered before (bm25 over store.macro_uses), with the ticket and the words in common as
the reason."""

from __future__ import annotations

from collections.abc import Callable

from deskterm import actions
from deskterm.domain import Identity
from deskterm.store import Store
from deskterm.triage.suggest import refresh, suggest
from tests.conftest import NOW

OFFERED = [
    ("wismo", "Where is my order: send the tracking link"),
    ("damaged-item", "Damaged item: apologise, ask for photos"),
    ("apology", "Say sorry"),
]


def deliver_each(deliver: Callable, make_message: Callable, *texts: str) -> None:
    deliver(
        *(
            make_message(subject="", text=text, sender=Identity("email", f"c{n}@example.com"))
            for n, text in enumerate(texts)
        )
    )


def use(store: Store, ticket: int, macro: str) -> None:
    actions.tag(store, ticket, f"answered-{macro}", actor=f"macro:{macro}", at=NOW)


def test_the_macro_used_on_the_most_alike_ticket_comes_first_with_the_words_in_common(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver_each(
        deliver,
        make_message,
        "My parcel from Hermes never arrived, the tracking is stuck.",
        "The mug arrived cracked, photos attached.",
        "Hermes tracking has been stuck for a week on my parcel.",
    )
    use(store, 1, "wismo")
    use(store, 2, "damaged-item")

    found = suggest(store, 3, None, OFFERED)

    assert [(s.name, s.reason) for s in found] == [("wismo", "like #1: hermes, tracking, stuck")]


def test_a_macro_whose_use_was_undone_is_not_suggested_by_it(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver_each(deliver, make_message, "The lamp arrived cracked.", "My lamp is cracked too.")
    use(store, 1, "damaged-item")
    actions.undo(store, actor="macro:damaged-item", at=NOW)

    assert suggest(store, 2, None, OFFERED) == []


def test_macro_uses_are_indexed_once_whoever_wrote_them(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver_each(deliver, make_message, "The lamp arrived cracked.", "My lamp is cracked too.")
    use(store, 1, "damaged-item")
    use(store, 1, "apology")
    actions.tag(store, 1, "again", actor="macro:apology", at=NOW)

    assert refresh(store) == 2
    assert refresh(store) == 0
    reasons = [(s.name, s.reason) for s in suggest(store, 2, None, OFFERED)]
    assert reasons == [
        ("damaged-item", "like #1: lamp, cracked"),
        ("apology", "like #1: lamp, cracked"),
    ]


def test_a_neighbour_about_the_same_intent_counts_more(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver_each(
        deliver,
        make_message,
        "Where is my order? The blue scarf has not arrived.",
        "The blue scarf arrived broken.",
        "The blue scarf, where is it?",
    )
    use(store, 1, "wismo")
    use(store, 2, "damaged-item")

    first = suggest(store, 3, "wismo", OFFERED)[0]

    assert first.name == "wismo"


def test_function_words_are_no_reason_to_suggest_a_macro(
    store: Store, make_message: Callable, deliver: Callable
) -> None:
    deliver_each(
        deliver,
        make_message,
        "The mug and the lamp are broken.",
        "Where is the parcel and the invoice?",
    )
    use(store, 1, "damaged-item")

    assert suggest(store, 2, None, OFFERED) == []
