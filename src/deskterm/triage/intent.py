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
def _compiled(lang: str) -> tuple[tuple[str, Cue], ...]:
    """The cues read for text in `lang`, each with its intent, in order: its own (else
    English's), then the shared shop words."""
    own = BY_LANGUAGE.get(lang, BY_LANGUAGE["en"])
    return tuple(
        (intent, _cue(w, cue))
        for cues in (own, SHARED)
        for intent, by_intent in cues.items()
        for w, cue in by_intent
    )


@cache
def _index(lang: str) -> tuple[dict[str, frozenset[int]], frozenset[int]]:
    """For `lang`'s cues: the positions of the cues each literal gates, and of ungated cues."""
    gated: dict[str, set[int]] = {}
    ungated: set[int] = set()
    for at, (_intent, (_weight, _probes, needs)) in enumerate(_compiled(lang)):
        for literal in needs:
            gated.setdefault(literal, set()).add(at)
        if not needs:
            ungated.add(at)
    return {k: frozenset(v) for k, v in gated.items()}, frozenset(ungated)


def _first(probes: tuple[Probe, ...], text: str, present: frozenset[str]) -> str | None:
    for probe in probes:
        found = probe.search(text, present)
        if found is not None:
            return found.strip()
    return None


def _candidates(plain: str, lang: str) -> tuple[dict[str, list[int]], frozenset[str]]:
    """The cues worth trying on `plain`, by intent in their order, and the gate literals it holds.

    One pass over the literals instead of one per cue: only cues gated on a literal the text
    holds (and those without a gate) are tried."""
    gated, ungated = _index(lang)
    present = frozenset(filter(plain.__contains__, gated))
    cues = _compiled(lang)
    by_intent: dict[str, list[int]] = {}
    for at in sorted(ungated.union(*map(gated.__getitem__, present))):
        by_intent.setdefault(cues[at][0], []).append(at)
    return by_intent, present


def _score(
    positions: list[int], plain: str, lang: str, present: frozenset[str]
) -> tuple[float, tuple[str, ...]]:
    """One intent's summed weight over its cues at `positions`, and the phrases found."""
    cues = _compiled(lang)
    total, seen = 0.0, []
    for at in positions:
        weight, probes, _needs = cues[at][1]
        phrase = _first(probes, plain, present)
        # One phrase counts once, though a language's cues and the shared ones both find it.
        if phrase is not None and phrase not in seen:
            total += weight
            seen.append(phrase)
    return total, tuple(seen)


def _best(text: str, lang: str) -> tuple[IntentGuess | None, tuple[float, tuple[str, ...]] | None]:
    """The best intent other than thanks, and the thanks score; an intent whose cues all
    together weigh less than the best found so far is not tried."""
    plain = folded(text[:READ_CHARS])
    by_intent, present = _candidates(plain, lang)
    cues = _compiled(lang)
    thanks_at = by_intent.pop("thanks", None)
    thanks = _score(thanks_at, plain, lang, present) if thanks_at else None
    order = {name: -rank for rank, name in enumerate(INTENTS)}
    bounds = {i: (sum(cues[at][1][0] for at in ats), order[i]) for i, ats in by_intent.items()}
    best: IntentGuess | None = None
    for intent in sorted(bounds, key=bounds.__getitem__, reverse=True):
        if best is not None and bounds[intent] < (best.score, order[best.intent]):
            break
        score, phrases = _score(by_intent[intent], plain, lang, present)
        if phrases and (best is None or (score, order[intent]) > (best.score, order[best.intent])):
            best = IntentGuess(intent, score, phrases)
    return best, (thanks if thanks and thanks[1] else None)


def classify(text: str, lang: str) -> IntentGuess:
    """The best intent for `text` in `lang`; ties go to the more specific intent (INTENTS' order)."""
    best, thanks = _best(text, lang)
    # "It arrived today, thanks!" names the problem but says it is over.
    if best is not None and not (thanks and thanks[0] > best.score and best.score < STRONG):
        return best
    if thanks:
        return IntentGuess("thanks", thanks[0], thanks[1])
    return IntentGuess("other", 0.0, ())
