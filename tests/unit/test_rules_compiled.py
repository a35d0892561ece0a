"""The rules engine runs each rule as one compiled function; it must answer as `matches` does."""

from __future__ import annotations

from deskterm import automation
from deskterm.automation.conditions import compile_rule, gate, matches, words_present
from deskterm.automation.facts import facts_of
from deskterm.demo import build_demo
from deskterm.store import Store
from deskterm.store import automation as reads
from tests.unit.test_automation import rules_of

# Every operator on the kinds of field it takes, words with and without \b, plain and not.
SHAPES = rules_of(
    *(
        f'name = "r{n}"\nwhen = ["ticket_created"]\nthen = [{{ tag = "x" }}]\nif.all = [{test}]\n'
        for n, test in enumerate(
            [
                '{ field = "subject", contains = ["order", "parcel"] }',
                '{ field = "body", matches = "\\\\bhi\\\\b" }',
                '{ field = "body", matches = "tracking number" }',
                '{ field = "body", matches = "refund(ed)?|return" }',
                '{ field = "subject", matches = "Order" }',
                '{ field = "tags", lacks = "wismo" }',
                '{ field = "tags", has = ["refund", "cancel"] }',
                '{ field = "channel", is = "email" }',
                '{ field = "channel", in = ["ebay", "amazon"] }',
                '{ field = "priority", is_not = "normal" }',
                '{ field = "status", not_in = ["new"] }',
                '{ field = "order_total", gte = 60 }',
                '{ field = "hours_since_reply", lt = 100 }',
                '{ field = "assignee", is = "" }',
            ]
        )
    )
)


def test_compiled_rules_answer_as_matches_does_on_every_demo_ticket(store: Store, now) -> None:
    build_demo(store, seed=5, now=now, tickets=60)
    ids = [r[0] for r in store.conn.execute("SELECT id FROM tickets")]
    rules = [*automation.load_stock_rules(), *SHAPES]
    for row in reads.fact_rows(store.conn, ids):
        facts = facts_of(row, now)
        for rule in rules:
            assert compile_rule(rule)(facts) == matches(rule, facts), (rule.name, row[0])
    # Each shape holds on some ticket and fails on another, so both answers were compared.
    for rule in SHAPES:
        answers = {matches(rule, facts_of(row, now)) for row in reads.fact_rows(store.conn, ids)}
        assert answers == {True, False}, rule.name


def test_a_rule_whose_words_are_not_in_a_ticket_never_matches_it(store: Store, now) -> None:
    build_demo(store, seed=5, now=now, tickets=60)
    ids = [r[0] for r in store.conn.execute("SELECT id FROM tickets")]
    rules = [*automation.load_stock_rules(), *SHAPES]
    gates = {rule.name: gate(rule) for rule in rules}
    wanted: dict[str, frozenset[str]] = {}
    for pairs in gates.values():
        for field, word in pairs or ():
            wanted[field] = wanted.get(field, frozenset()) | {word}
    skipped = 0
    for row in reads.fact_rows(store.conn, ids):
        facts = facts_of(row, now)
        present = words_present(facts, wanted)
        for rule in rules:
            words = gates[rule.name]
            if words is not None and words.isdisjoint(present):
                skipped += 1
                assert not matches(rule, facts), (rule.name, row[0])
    assert skipped > 0
    assert gates["r0"] == {("subject", "order"), ("subject", "parcel")}
    assert gates["r1"] == {("body", "hi")}
    assert gates["r3"] is None  # an alternation has no one word every match holds
