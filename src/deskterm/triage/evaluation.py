"""Measuring triage against labelled messages: accuracy per field and language, intent macro-F1,
the most frequent confusions, and throughput.

A labelled file has one message a line, ``lang | intent | mood | subject | text`` with ``\\n``
for a line break in the text; blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from deskterm.triage.labels import INTENTS

FIELDS = ("lang", "intent", "mood")


class LabelError(ValueError):
    """A labelled file has a line that is not `lang | intent | mood | subject | text`."""


@dataclass(frozen=True, slots=True)
class Labelled:
    lang: str
    intent: str
    mood: str
    subject: str
    text: str


def parse_line(line: str, number: int) -> Labelled:
    parts = [p.strip() for p in line.split("|", 4)]
    if len(parts) != 5:
        raise LabelError(f"line {number}: expected lang | intent | mood | subject | text")
    lang, intent, mood, subject, text = parts
    if intent not in INTENTS:
        raise LabelError(f"line {number}: {intent!r} is not an intent")
    return Labelled(lang, intent, mood, subject, text.replace("\\n", "\n"))


def load(path: Path) -> list[Labelled]:
    """Every labelled message in the file, in its order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        parse_line(line, number)
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.startswith("#")
    ]


@dataclass(slots=True)
class Report:
    """How a classifier did on a labelled set."""

    total: int = 0
    right: Counter[str] = field(default_factory=Counter)
    by_language: dict[str, Counter[str]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    confusions: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    seconds: float = 0.0

    def accuracy(self, name: str, lang: str | None = None) -> float:
        right = self.right if lang is None else self.by_language[lang]
        total = self.total if lang is None else self.counts[lang]
        return right[name] / total if total else 0.0

    def macro_f1(self, name: str = "intent") -> float:
        """The mean over labels of F1, each label counting the same however rare."""
        wrong = self.confusions[name]
        labels = {a for a, _ in wrong} | {b for _, b in wrong} | set(self._hits[name])
        scores = []
        for label in labels:
            hits = self._hits[name][label]
            missed = sum(n for (want, _got), n in wrong.items() if want == label)
            extra = sum(n for (_want, got), n in wrong.items() if got == label)
            scores.append(2 * hits / (2 * hits + missed + extra) if hits else 0.0)
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    _hits: dict[str, Counter[str]] = field(default_factory=dict)


Guess = tuple[str, str, str]
"""(lang, intent, mood) as a classifier gives them."""


def evaluate(samples: Iterable[Labelled], classify: Callable[[str, str], Guess]) -> Report:
    """Run `classify(subject, text)` over every sample and count what it got right."""
    report = Report(confusions={f: Counter() for f in FIELDS}, _hits={f: Counter() for f in FIELDS})
    for sample in samples:
        # CPU time, not wall time: on a shared machine the wall clock measures the neighbours.
        started = time.process_time()
        guess = classify(sample.subject, sample.text)
        report.seconds += time.process_time() - started
        report.total += 1
        report.counts[sample.lang] += 1
        per_lang = report.by_language.setdefault(sample.lang, Counter())
        for name, want, got in zip(
            FIELDS, (sample.lang, sample.intent, sample.mood), guess, strict=True
        ):
            if want == got:
                report.right[name] += 1
                per_lang[name] += 1
                report._hits[name][want] += 1
            else:
                report.confusions[name][(want, got)] += 1
    return report
