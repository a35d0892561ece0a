"""Triage accuracy and speed on the labelled set in tests/fixtures/triage/labelled.txt.

Prints accuracy of language, intent and mood overall and per language, intent macro-F1, the most
frequent confusions, and messages per CPU second (a first pass loads the models and is not timed).

    .venv/bin/python bench/bench_triage.py [--file PATH] [--mistakes]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from deskterm.triage import evaluation
from deskterm.triage import reader as triage

LABELLED = Path(__file__).resolve().parent.parent / "tests/fixtures/triage/labelled.txt"


def guess(subject: str, text: str) -> evaluation.Guess:
    found = triage.classify(subject, text)
    return found.lang, found.intent, found.mood


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=LABELLED)
    parser.add_argument("--mistakes", action="store_true", help="print every wrong guess")
    args = parser.parse_args()
    samples = evaluation.load(args.file)
    # A first pass loads the models and compiles the cues of every language; the second is timed.
    evaluation.evaluate(samples, guess)
    report = evaluation.evaluate(samples, guess)
    langs = sorted(report.counts, key=lambda lang: -report.counts[lang])
    print(f"{report.total} messages in {len(langs)} languages")
    print(f"{'':8}" + "".join(f"{name:>9}" for name in evaluation.FIELDS))
    print(f"{'all':8}" + "".join(f"{report.accuracy(n):>9.1%}" for n in evaluation.FIELDS))
    for lang in langs:
        row = "".join(f"{report.accuracy(n, lang):>9.1%}" for n in evaluation.FIELDS)
        print(f"{lang} ({report.counts[lang]})".ljust(8) + row)
    print(f"intent macro-F1: {report.macro_f1('intent'):.3f}")
    for name in evaluation.FIELDS:
        top = report.confusions[name].most_common(6)
        print(f"{name} confusions (want->got): " + ", ".join(f"{a}->{b} {n}" for (a, b), n in top))
    print(
        f"throughput: {report.per_second:,.0f} messages per CPU second"
        f" ({1e6 / report.per_second:,.0f} µs a message)"
    )
    if args.mistakes:
        for sample in samples:
            got = guess(sample.subject, sample.text)
            want = (sample.lang, sample.intent, sample.mood)
            if got != want:
                print(f"{want} -> {got}: {sample.subject} | {sample.text[:90]!r}")


if __name__ == "__main__":
    main()
