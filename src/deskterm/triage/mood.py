"""How a customer sounds: angry, negative, neutral or positive, with a score from -1 to 1.

English is scored with VADER's shipped lexicon (7,500 rated words, those every support mail uses
made neutral) and the small word lists in `mood_words` score German, French, Spanish, Italian,
Dutch and Portuguese, all the same way: the words' ratings summed, a negation turning the next
three words, normalised as VADER does. VADER's own scorer is not used: its rules (boosters,
"but", negation windows) cost ~1 ms on a 100-word mail, as much as storing it. Any language gets
the signs that need no words: shouting in capitals, runs of `!`, and anger words (scam, lawyer,
chargeback in each language). Other languages are `unknown` unless such a sign speaks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from itertools import filterfalse, repeat
from operator import methodcaller

from deskterm.triage import mood_words
from deskterm.triage.text import folded

# Courtesy every request carries: VADER reads "please help, thanks" as delight.
SUPPORT_NEUTRAL = (
    "help", "please", "ok", "okay", "kind", "kindly", "like", "regards",
    "dear", "hope", "want", "free", "cancel", "sorry", "no", "yes", "wish", "care", "support",
)  # fmt: skip
# Support-mail words VADER does not know or weighs for other texts.
SUPPORT_WORDS = {
    "broken": -1.5,
    "damaged": -1.5,
    "missing": -1.0,
    "wrong": -1.2,
    "late": -0.8,
    "still": -0.3,
    "again": -0.3,
    "scam": -3.5,
    "fraud": -3.5,
    "thieves": -3.5,
}

_WORD = re.compile(r"[\w']+")
_NEGATED = methodcaller("endswith", "n't")
# Runs of capitals; a character class first lets the engine skip ahead to the next one.
_CAPITALS = re.compile(r"[A-ZÄÖÜÉÈÀÑ]{3,}(?![a-zäöüéèàñ])")
# Abbreviations shout in no language.
_NOT_SHOUTING = {"USA", "DHL", "UPS", "GLS", "DPD", "TNT", "USPS", "FEDEX", "EUR", "USD", "GBP"}

ANGRY_BELOW = -0.55
NEGATIVE_BELOW = -0.2
POSITIVE_ABOVE = 0.35


@dataclass(frozen=True, slots=True)
class Mood:
    mood: str
    score: float | None
    """-1 (worst) to 1 (best); None where no lexicon reads the language."""


@cache
def _english() -> tuple[dict[str, float], frozenset[str]]:
    """VADER's lexicon adapted to support mail, and its negation words."""
    from vaderSentiment.vaderSentiment import NEGATE, SentimentIntensityAnalyzer

    lexicon = dict(SentimentIntensityAnalyzer().lexicon)
    for word in SUPPORT_NEUTRAL:
        lexicon.pop(word, None)
    lexicon.update(SUPPORT_WORDS)
    return lexicon, frozenset(NEGATE)


def _lexicon(lang: str) -> tuple[dict[str, float], frozenset[str]]:
    if lang == "en":
        return _english()
    return mood_words.WORDS[lang], mood_words.NEGATIONS[lang]


def _furious(tokens: list[str], plain: str) -> bool:
    return (
        not mood_words.ANGER_WORDS.isdisjoint(tokens)
        or (
            any(map(plain.__contains__, mood_words.ANGER_STEMS))
            and any(token.startswith(mood_words.ANGER_STEMS) for token in tokens)
        )
        or any(map(plain.__contains__, mood_words.ANGER_PHRASES))
    )


def _lexicon_score(tokens: list[str], lang: str, thankful: bool) -> float:
    """VADER's normalisation over the language's word ratings; a negation turns the next 3."""
    words, negations = _lexicon(lang)
    if not thankful:
        tokens = list(filterfalse(mood_words.COURTESY.__contains__, tokens))
    if negations.isdisjoint(tokens) and not any(map(_NEGATED, tokens)):
        # Most mail negates nothing: the ratings simply add up.
        total = sum(map(words.get, tokens, repeat(0.0)))
        return total / math.sqrt(total * total + 15) if total else 0.0
    total, flip = 0.0, 0
    for token in tokens:
        if token in negations or token.endswith("n't"):
            flip = 3
            continue
        value = words.get(token, 0.0)
        if flip:
            value, flip = -0.6 * value, flip - 1
        total += value
    return total / math.sqrt(total * total + 15) if total else 0.0


def _shouting(text: str) -> int:
    """Words in capitals (abbreviations aside) and runs of `!`."""
    caps = sum(1 for word in _CAPITALS.findall(text) if word not in _NOT_SHOUTING)
    return caps + 2 * (text.count("!!") + text.count("?!") + text.count("!?"))


def score(text: str, lang: str, *, thankful: bool = True) -> float | None:
    """The text's sentiment from -1 to 1, or None for a language without a word list; unless
    `thankful`, thanks are read as courtesy."""
    return _score(_WORD.findall(folded(text)), lang, thankful)


def _score(tokens: list[str], lang: str, thankful: bool) -> float | None:
    if lang == "en" or lang in mood_words.WORDS:
        return _lexicon_score(tokens, lang, thankful)
    return None


def classify(text: str, lang: str, *, thankful: bool = False) -> Mood:
    """The mood of `text` written in `lang` (an ISO 639-1 code); `thankful` when the message is
    a thank-you, else its thanks are read as courtesy."""
    plain = folded(text)
    tokens = _WORD.findall(plain)
    value = _score(tokens, lang, thankful)
    furious = _furious(tokens, plain)
    shouting = _shouting(text)
    if furious or (value is not None and value <= ANGRY_BELOW and shouting >= 2):
        return Mood("angry", value)
    if value is None:
        return Mood("negative" if shouting >= 3 else "unknown", None)
    if value <= NEGATIVE_BELOW or (shouting >= 3 and value < POSITIVE_ABOVE):
        return Mood("negative", value)
    if value >= POSITIVE_ABOVE:
        return Mood("positive", value)
    return Mood("neutral", value)
