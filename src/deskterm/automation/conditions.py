"""Deciding whether a rule matches a ticket's facts: pure, and every condition says its value."""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
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
