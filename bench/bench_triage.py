"""Triage accuracy and speed on the labelled set in tests/fixtures/triage/labelled.txt.

Prints accuracy of language, intent and mood overall and per language, intent macro-F1, the most
frequent confusions, and messages per CPU second (a first pass loads the models and is not timed).

With `--learn N`, N messages of `--pool` (default labelled.txt, intents other than other and
thanks, drawn with `--seed`) arrive as tickets in a scratch workspace and a person tags each with
its intent; the set is read again with what those tags taught, and both macro-F1s are printed.
`--polish` does the same on a generated Polish shop (tests/polish_shop.py), whose words the
stock cues do not know: 100 tagged tickets, 60 held out.

    .venv/bin/python bench/bench_triage.py [--file PATH] [--mistakes]
    .venv/bin/python bench/bench_triage.py --file tests/fixtures/triage/holdout.txt --learn 100
    .venv/bin/python bench/bench_triage.py --polish
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from deskterm import actions, ingest
from deskterm.domain import Batch, Identity, InboundMessage, utcnow
from deskterm.store import open_store
from deskterm.triage import evaluation, teach
from deskterm.triage import reader as triage
from deskterm.triage.learning import Learned

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests/fixtures/triage/labelled.txt"


def guesser(learned: Learned | None):
    def guess(subject: str, text: str) -> evaluation.Guess:
        found = triage.classify(subject, text, learned)
        return found.lang, found.intent, found.mood

    return guess


def show(report: evaluation.Report) -> None:
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


def taught_by(tagged: list[evaluation.Labelled]) -> Learned:
    """What a person tagging each of `tagged` with its intent teaches a fresh workspace."""
    store = open_store(memory=True)
    now = utcnow()
    messages = [
        InboundMessage(
            account="mail",
            external_id=f"tagged-{n}",
            channel="email",
            sender=Identity("email", f"customer{n}@example.com"),
            subject=sample.subject,
            text=sample.text,
            sent_at=now,
        )
        for n, sample in enumerate(tagged)
    ]
    ingest.ingest_batch(store, "mail", Batch(messages, {}), now=now)
    tickets = [t for (t,) in store.conn.execute("SELECT id FROM tickets ORDER BY id")]
    for ticket, sample in zip(tickets, tagged, strict=True):
        actions.tag(store, ticket, sample.intent, actor="agent:bench")
    return teach.model(store)


def before_and_after(samples: list[evaluation.Labelled], tagged: list[evaluation.Labelled]) -> None:
    before = evaluation.evaluate(samples, guesser(None))
    after = evaluation.evaluate(samples, guesser(taught_by(tagged)))
    print(f"intent macro-F1 before learning: {before.macro_f1('intent'):.3f}")
    print(f"intent macro-F1 after {len(tagged)} tagged tickets: {after.macro_f1('intent'):.3f}")
    print(f"intent accuracy: {before.accuracy('intent'):.1%} -> {after.accuracy('intent'):.1%}")


def polish() -> None:
    sys.path.insert(0, str(ROOT))
    from tests import polish_shop

    def labelled(shop: list[tuple[str, str]]) -> list[evaluation.Labelled]:
        return [evaluation.Labelled("pl", intent, "unknown", "", text) for intent, text in shop]

    print("generated Polish shop: 100 tagged tickets, 60 held out")
    before_and_after(
        labelled(polish_shop.messages(60, seed=2)), labelled(polish_shop.messages(100, seed=1))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=LABELLED)
    parser.add_argument("--mistakes", action="store_true", help="print every wrong guess")
    parser.add_argument("--learn", type=int, metavar="N", help="learn from N tagged tickets")
    parser.add_argument(
        "--pool", type=Path, default=LABELLED, help="where tagged tickets come from"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--polish", action="store_true", help="a shop the cues do not know")
    args = parser.parse_args()
    if args.polish:
        polish()
        return
    samples = evaluation.load(args.file)
    if args.learn:
        pool = [s for s in evaluation.load(args.pool) if s.intent not in ("other", "thanks")]
        before_and_after(samples, random.Random(args.seed).sample(pool, args.learn))
        return
    guess = guesser(None)
    # A first pass loads the models and compiles the cues of every language; the second is timed.
    evaluation.evaluate(samples, guess)
    report = evaluation.evaluate(samples, guess)
    show(report)
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
