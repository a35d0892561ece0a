"""What the shop's own tagged tickets teach triage: a naive Bayes model of the words each intent's
tickets use, read beside the cue phrases.

A shop's customers have words the stock cues do not know (its products, its language, its
slang). The model counts each word stem and pair of stems per intent over the tickets a person
tagged with an intent's name; `Learned.guess` reads a message with them. It has a say only where
the message holds a telling word (one seen on at least `TELLING_TICKETS` tickets, mostly of one
intent), so a message in words the shop never tagged keeps what the cues made of it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from deskterm.triage.text import folded

# Inflected languages put endings on one stem ("zamowienie", "zamowienia"): the first letters
# are what the model counts.
STEM = 6
# A word must be on this many tickets, and this share of them of one intent, to tell it.
TELLING_TICKETS = 2
TELLING_SHARE = 0.6
# The model speaks when its best intent is at least this likely given the message's words.
CONFIDENT = 0.8
# Fewer tagged tickets than this teach nothing worth overruling the cues with.
FEWEST_TICKETS = 10
# How many of the words that decided a guess to name.
NAMED = 3

_WORD = re.compile(r"[^\W\d_]{2,}")


def _words(text: str) -> dict[str, str]:
    """Each feature of `text` (a word's stem, or the stems of two neighbours) and the words it
    was read from, distinct, in their order."""
    words = _WORD.findall(text.lower())
    stems = [folded(w)[:STEM] for w in words]
    found: dict[str, str] = {}
    for stem, word in zip(stems, words, strict=True):
        found.setdefault(stem, word)
    for (a, b), (x, y) in zip(pairwise(stems), pairwise(words), strict=True):
        found.setdefault(f"{a} {b}", f"{x} {y}")
    return found


def features(text: str) -> list[str]:
    """The stems of `text`'s words and each pair of neighbours, distinct, in their order."""
    return list(_words(text))


@dataclass(frozen=True, slots=True)
class LearnedGuess:
    """The intent the shop's tagged tickets point to, how likely, and the words that said so."""

    intent: str
    likelihood: float
    words: tuple[str, ...]


@dataclass(slots=True)
class Learned:
    """Counts of features per intent over tagged tickets (`tickets`: how many per intent)."""

    tickets: Counter[str] = field(default_factory=Counter)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    _totals: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, tickets: Mapping[str, int], rows: Iterable[tuple[str, str, int]]) -> Learned:
        """A model from ticket counts per intent and (feature, intent, count) rows."""
        model = cls(Counter(tickets))
        for feature, intent, count in rows:
            model.counts.setdefault(feature, Counter())[intent] += count
            model._totals[intent] += count
        return model

    def __len__(self) -> int:
        return sum(self.tickets.values())

    def _telling(self, feature: str) -> bool:
        seen = self.counts.get(feature)
        if not seen:
            return False
        total = sum(seen.values())
        return total >= TELLING_TICKETS and max(seen.values()) / total >= TELLING_SHARE

    def guess(self, text: str) -> LearnedGuess | None:
        """The intent the tagged tickets say `text` is about, or None when they say too little."""
        if len(self) < FEWEST_TICKETS:
            return None
        said_as = _words(text)
        known = [f for f in said_as if f in self.counts]
        telling = [f for f in known if self._telling(f)]
        if not telling:
            return None
        vocabulary = len(self.counts)
        whole = len(self)
        scores = {}
        for intent, tickets in self.tickets.items():
            if not tickets:
                continue
            denominator = math.log(self._totals[intent] + vocabulary)
            scores[intent] = math.log(tickets / whole) + sum(
                math.log(self.counts[f][intent] + 1) - denominator for f in known
            )
        best = max(scores, key=scores.__getitem__)
        likelihood = 1 / sum(math.exp(s - scores[best]) for s in scores.values())
        if likelihood < CONFIDENT:
            return None
        said = [f for f in telling if self.counts[f].most_common(1)[0][0] == best]
        if not said:
            return None
        said.sort(key=lambda f: -self.counts[f][best])
        return LearnedGuess(best, likelihood, tuple(said_as[f] for f in said[:NAMED]))
