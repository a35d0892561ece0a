"""The literal text a regular expression cannot match without, so a cheap `in` test can skip it.

Python's regex engine tries a pattern that starts with `\\b` or a group at every position of the
text (~2.5 µs a cue on a short mail); a substring test costs a tenth of that. Fifty cues a
message made triage cost as much as storing the message; gated, most are never run.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# Shorter literals are in almost every text: no use as a gate.
SHORTEST = 3


def _needed(items: Any) -> set[str] | None:
    """Literals one of which every match of the sequence `items` contains, or None."""
    found: list[set[str]] = []
    run = ""
    for op, value in items:
        if op is sre.LITERAL:
            run += chr(value)
            continue
        if run:
            found.append({run})
            run = ""
        if op is sre.SUBPATTERN:
            inner = _needed(value[3])
        elif op is sre.BRANCH:
            branches = [_needed(branch) for branch in value[1]]
            inner = set().union(*branches) if all(branches) else None  # type: ignore[arg-type]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and value[0] >= 1:
            inner = _needed(value[2])
        else:
            inner = None
        if inner:
            found.append(inner)
    if run:
        found.append({run})
    usable = [option for option in found if min(map(len, option)) >= SHORTEST]
    return max(usable, key=lambda option: min(map(len, option))) if usable else None


def gate(pattern: str) -> tuple[str, ...]:
    """Literals one of which the text must contain for `pattern` to match; () when there are
    none to be had (the pattern always runs)."""
    needed = _needed(sre_parse.parse(pattern, re.MULTILINE))
    return tuple(sorted(needed)) if needed else ()


def alternatives(pattern: str) -> list[str]:
    """The pattern's top-level alternatives (`a|b(c|d)` gives `a` and `b(c|d)`)."""
    parts, depth, start, escaped, in_set = [], 0, 0, False, False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_set:
            in_set = char != "]"
        elif char == "[":
            in_set = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
    return [*parts, pattern[start:]]


_WORD_START = re.compile(r"\\b(?=\w)")


class Probe:
    """One alternative of a cue, searched fast: skipped unless the text holds one of its
    literals, and a leading `\\b` checked by hand so the engine can look for the literal that
    follows it instead of trying every position."""

    __slots__ = ("_bounded", "_pattern", "needs")

    def __init__(self, source: str) -> None:
        self.needs = gate(source)
        self._bounded = _WORD_START.match(source) is not None and source[2] not in "([\\."
        self._pattern = re.compile(source[2:] if self._bounded else source, re.MULTILINE)

    def search(self, text: str, present: frozenset[str] | None = None) -> str | None:
        """The text of the first match, or None; `present`, when given, holds every literal of
        the probes being tried that the text contains (worked out once for all of them)."""
        if self.needs:
            if present is None:
                if not any(map(text.__contains__, self.needs)):
                    return None
            elif present.isdisjoint(self.needs):
                return None
        found = self._pattern.search(text)
        while found and self._bounded and found.start() and _is_word(text[found.start() - 1]):
            found = self._pattern.search(text, found.start() + 1)
        return found.group(0) if found else None


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"
