"""Deciding whether a rule matches a ticket's facts: pure, and every condition says its value."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from deskterm.automation.model import Condition, Rule


@dataclass(frozen=True, slots=True)
class Check:
    """One condition with the ticket's value for it and whether it held."""

    condition: Condition
    actual: Any
    held: bool

    def describe(self) -> str:
        mark = "yes" if self.held else "no"
        return f"[{mark}] {self.condition.describe()} (is {self.actual!r})"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a rule matches, with each condition's check in the order written."""

    matched: bool
    checks: tuple[Check, ...]


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


@cache
def _texts(value: Any) -> frozenset[str]:
    """A condition's value (one, or a tuple of several) as lower-case texts; rules keep their
    values as tuples, so each is worked out once."""
    return frozenset(str(v).lower() for v in (value if isinstance(value, tuple) else (value,)))


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=256)
def _lower(text: Any) -> str:
    # Fifty rules read the same subject and body: lower-cased once per message, not per rule.
    return str(text).lower()


NUMBER_TESTS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def holds(op: str, actual: Any, expected: Any) -> bool:
    """Whether `actual op expected` holds; a missing value (None) fails every test but is_not."""
    expected = _plain(expected)
    if op == "contains" and actual is not None:
        text = _lower(actual)
        return any(word in text for word in _texts(expected))
    if op == "is_not":
        return actual is None or str(actual).lower() not in _texts(expected)
    if op == "lacks":
        return _texts(expected).isdisjoint(actual or ())
    if actual is None:
        return False
    if op == "has":
        return not _texts(expected).isdisjoint(actual)
    if op == "is" and isinstance(expected, bool | int | float) and not isinstance(actual, str):
        return bool(actual == expected)
    if op in ("is", "in"):
        return str(actual).lower() in _texts(expected)
    if op == "not_in":
        return str(actual).lower() not in _texts(expected)
    if op == "matches":
        return _pattern(str(expected)).search(str(actual)) is not None
    return bool(NUMBER_TESTS[op](float(actual), expected))


def check(condition: Condition, facts: Mapping[str, Any]) -> Check:
    actual = facts.get(condition.field)
    return Check(condition, actual, holds(condition.op, actual, condition.value))


def judge(rule: Rule, facts: Mapping[str, Any]) -> Verdict:
    """All of `all` and, when there are any, at least one of `any`; every condition is checked so
    an explanation can show each value."""
    every = tuple(check(c, facts) for c in rule.all)
    some = tuple(check(c, facts) for c in rule.any)
    matched = all(c.held for c in every) and (not some or any(c.held for c in some))
    return Verdict(matched, every + some)


def matches(rule: Rule, facts: Mapping[str, Any]) -> bool:
    """`judge` without the explanation, stopping at the first condition that fails."""
    for condition in rule.all:
        if not holds(condition.op, facts.get(condition.field), condition.value):
            return False
    return not rule.any or any(holds(c.op, facts.get(c.field), c.value) for c in rule.any)


# A condition or a rule made into one function of the facts (`compile_rule`).
Test = Callable[[Mapping[str, Any]], bool]
# A pattern that is only a word, perhaps between \b: a text without that word cannot match it.
_PLAIN = re.compile(r"^(?:\\b)?([\w][\w' -]*)(?:\\b)?$")


def _required(pattern: str) -> str | None:
    """The lower-case text every match of `pattern` contains, when the pattern is that plain."""
    found = _PLAIN.match(pattern)
    return found.group(1).lower() if found else None


def _compiled(condition: Condition) -> Test:
    """`holds` for one condition, with what it compares against worked out once."""
    field, op, expected = condition.field, condition.op, _plain(condition.value)
    if op == "contains":
        words = tuple(_texts(expected))

        def contains(facts: Mapping[str, Any]) -> bool:
            text = facts.get(field)
            if text is None:
                return False
            lowered = _lower(text)
            return any(word in lowered for word in words)

        return contains
    if op == "matches":
        search, needle = _pattern(str(expected)).search, _required(str(expected))
        if needle is None:
            return lambda facts: (
                (text := facts.get(field)) is not None and (search(str(text)) is not None)
            )
        # Finding the word first skips the regular expression for the many texts without it.
        return lambda facts: (
            (text := facts.get(field)) is not None
            and (needle in _lower(text) and search(str(text)) is not None)
        )
    if op == "lacks":
        texts = _texts(expected)
        return lambda facts: texts.isdisjoint(facts.get(field) or ())
    if op in ("is", "in") and not isinstance(expected, bool | int | float):
        texts = _texts(expected)
        return lambda facts: (
            (value := facts.get(field)) is not None and (str(value).lower() in texts)
        )
    return lambda facts: holds(op, facts.get(field), expected)


def compile_rule(rule: Rule) -> Test:
    """`matches` for one rule as a single function: the rules engine runs it on every message
    and ticket, so each condition's values are worked out once, not at every call."""
    # A rule's `lacks` guard (the tag it sets) holds on nearly every new ticket: tested last, after
    # the conditions that tell tickets apart. The answer is the same in any order.
    every = tuple(_compiled(c) for c in sorted(rule.all, key=lambda c: c.op == "lacks"))
    some = tuple(_compiled(c) for c in rule.any)

    def test(facts: Mapping[str, Any]) -> bool:
        for one in every:
            if not one(facts):
                return False
        return not some or any(one(facts) for one in some)

    return test


# Where a rule's words are looked for: the texts every message has.
GATED_FIELDS = ("subject", "body")


def gate(rule: Rule) -> frozenset[tuple[str, str]] | None:
    """(field, word) pairs one of which a ticket's lower-cased subject or body must contain for
    the rule to match: the words of one of its `all` conditions (contains, or a plain pattern).
    None when the rule has no such condition. The engine looks for every rule's words in a text
    once and skips the rules none of whose words are there."""
    for condition in rule.all:
        if condition.field not in GATED_FIELDS:
            continue
        if condition.op == "contains":
            return frozenset((condition.field, w) for w in _texts(_plain(condition.value)))
        if condition.op == "matches":
            needle = _required(str(condition.value))
            if needle is not None:
                return frozenset({(condition.field, needle)})
    return None


def words_present(
    facts: Mapping[str, Any], wanted: Mapping[str, frozenset[str]]
) -> frozenset[tuple[str, str]]:
    """Which of the `wanted` words (by field) the ticket's lower-cased texts contain."""
    found: list[tuple[str, str]] = []
    for field, words in wanted.items():
        text = facts.get(field)
        if text is None:
            continue
        lowered = _lower(text)
        found.extend((field, w) for w in words if w in lowered)
    return frozenset(found)
