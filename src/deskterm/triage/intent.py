"""What a customer wants, from cue phrases in English, German, French, Spanish, Italian, Dutch and
Portuguese (`intent_cues`): each intent adds up the weights of its cues found in the message's
language and the shop words every language uses; the highest sum wins.

Transparent on purpose: a guess names the phrases that decided it, and a person can add a cue.
A language without cues of its own is read with the English ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from deskterm.triage.gates import Probe, alternatives
from deskterm.triage.intent_cues import BY_LANGUAGE, SHARED
from deskterm.triage.labels import INTENTS
from deskterm.triage.text import folded

# A request this strong is what the message is about, however thankful it sounds.
STRONG = 3.0
# What a customer asks for comes first; cues are looked for in this much of their words.
READ_CHARS = 300


@dataclass(frozen=True, slots=True)
class IntentGuess:
    """The intent, its score, and the cues that decided it (for explanations)."""

    intent: str
    score: float
    cues: tuple[str, ...]


# A cue: its weight, its alternatives (each searched on its own, gates.Probe) and the literals
# one of which the text needs for any of them to match (empty: no such gate).
Cue = tuple[float, tuple[Probe, ...], frozenset[str]]


def _cue(weight: float, source: str) -> Cue:
    probes = tuple(map(Probe, alternatives(source)))
    gated = all(p.needs for p in probes)
    return weight, probes, frozenset(x for p in probes for x in p.needs) if gated else frozenset()


@cache
def _compiled(lang: str) -> tuple[tuple[str, tuple[Cue, ...]], ...]:
    """The cues read for text in `lang`: its own (else English's), then the shared shop words."""
    own = BY_LANGUAGE.get(lang, BY_LANGUAGE["en"])
    return tuple(
        (intent, tuple(_cue(w, cue) for w, cue in by_intent))
        for cues in (own, SHARED)
        for intent, by_intent in cues.items()
    )


@cache
def _literals(lang: str) -> tuple[str, ...]:
    """Every literal the cues for `lang` are gated on, each once."""
    return tuple(
        {
            literal
            for _i, cues in _compiled(lang)
            for _w, probes, _n in cues
            for p in probes
            for literal in p.needs
        }
    )


def _first(probes: tuple[Probe, ...], text: str, present: frozenset[str]) -> str | None:
    for probe in probes:
        found = probe.search(text, present)
        if found is not None:
            return found.strip()
    return None


def scores(text: str, lang: str) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Every intent with a cue in `text`: its summed weight and the phrases found."""
    plain = folded(text[:READ_CHARS])
    # One pass over the literals instead of one per cue: most cues are ruled out by a set test.
    present = frozenset(filter(plain.__contains__, _literals(lang)))
    totals: dict[str, float] = {}
    phrases: dict[str, list[str]] = {}
    for intent, cues in _compiled(lang):
        seen = phrases.setdefault(intent, [])
        for weight, probes, needs in cues:
            if needs and needs.isdisjoint(present):
                continue
            phrase = _first(probes, plain, present)
            # One phrase counts once, though a language's cues and the shared ones both find it.
            if phrase is not None and phrase not in seen:
                totals[intent] = totals.get(intent, 0.0) + weight
                seen.append(phrase)
    return {intent: (total, tuple(phrases[intent])) for intent, total in totals.items()}


def classify(text: str, lang: str) -> IntentGuess:
    """The best intent for `text` in `lang`; ties go to the more specific intent (INTENTS' order)."""
    found = scores(text, lang)
    thanks = found.pop("thanks", None)
    if found:
        order = list(INTENTS)
        best = max(found, key=lambda name: (found[name][0], -order.index(name)))
        score, cues = found[best]
        # "It arrived today, thanks!" names the problem but says it is over.
        if not (thanks and thanks[0] > score and score < STRONG):
            return IntentGuess(best, score, cues)
    if thanks:
        return IntentGuess("thanks", thanks[0], thanks[1])
    return IntentGuess("other", 0.0, ())
