"""Reading one customer message: its language, then its intent and mood in that language."""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.triage import intent, language, mood
from deskterm.triage.learning import Learned
from deskterm.triage.text import own_words


@dataclass(frozen=True, slots=True)
class Triage:
    """What triage made of one message."""

    lang: str
    intent: str
    mood: str
    sentiment: float | None
    cues: tuple[str, ...] = ()
    """The phrases that decided the intent."""

    @property
    def message_columns(self) -> tuple[str, str, str, float | None]:
        """As the messages table stores them: lang, intent, mood, sentiment."""
        return self.lang, self.intent, self.mood, self.sentiment

    @property
    def ticket_columns(self) -> tuple[str, str, str]:
        """What a new ticket starts with: lang, intent, mood."""
        return self.lang, self.intent, self.mood


def classify(subject: str, text: str, learned: Learned | None = None) -> Triage:
    """Language, intent and mood of a customer's message; what the shop's tagged tickets taught
    (`learned`) decides the intent where no cue phrase says it outright."""
    words = own_words(subject, text)
    lang, _confidence = language.detect(words)
    guess = intent.classify(words, lang)
    if learned is not None and guess.score < intent.STRONG:
        taught = learned.guess(words)
        if taught is not None and taught.intent != guess.intent:
            said = tuple(f"learned: {word}" for word in taught.words)
            guess = intent.IntentGuess(taught.intent, taught.likelihood, said)
    feeling = mood.classify(words, lang, thankful=guess.intent == "thanks")
    return Triage(lang, guess.intent, feeling.mood, feeling.score, guess.cues)
