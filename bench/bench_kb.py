"""Knowledge base: indexing 5,000 article files, the check at start when nothing changed, and the
panel's suggestions for a ticket (the stock set plus the generated articles).

Targets from issue 20: 5,000 articles indexed in under 2 s; suggestions in under 20 ms.

    .venv/bin/python bench/bench_kb.py [--articles 5000] [--suggestions 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from deskterm import kb
from deskterm.store import open_store

WORDS = (
    "order parcel tracking refund return exchange size colour damaged broken carrier courier "
    "delivery address invoice payment card voucher discount warranty repair replacement label "
    "customs duty express standard pickup locker store credit cancel shipped delayed lost stolen "
    "jacket shoes boots scarf gloves shirt trousers dress lamp mug chair desk cushion blanket"
).split()
SYLLABLES = "ka lo mi ne ru sa ti vo be da fe gu hi jo ke la mo nu pe ri so tu ve wa".split()


def vocabulary(rng: random.Random, size: int = 4000) -> tuple[list[str], list[float]]:
    """Shop words first, then made-up ones, with Zipf weights: text's words are that skewed, and
    how common a message's words are in the articles is what a suggestion's time depends on."""
    made = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size)}
    words = WORDS + sorted(made - set(WORDS))
    return words, [1 / (rank + 1) for rank in range(len(words))]


TAGS = ("wismo", "refund", "returns", "sizing", "damaged", "cancel", "address", "vip", "b2b")
CHANNELS = ("email", "ebay", "amazon", "shopify")


def article_text(n: int, rng: random.Random, vocab: tuple[list[str], list[float]]) -> str:
    """A generated article of ~2.5 KB: front matter, four sections, links, sometimes an SOP."""
    words, weights = vocab
    sop = n % 10 == 0
    tags = rng.sample(TAGS, 2)
    lines = [
        "+++",
        f'title = "Article {n}: {" ".join(rng.sample(WORDS, 4))}"',
        f'audience = "{"internal" if sop or n % 3 == 0 else "customer"}"',
        f'tags = ["{tags[0]}", "{tags[1]}"]',
        f'channels = ["{rng.choice(CHANNELS)}"]' if n % 7 == 0 else "channels = []",
        f'url = "/help/a{n}"' if not sop and n % 3 else "",
        "reviewed = 2026-11-01",
        *(['kind = "sop"', 'target = "1d"', 'escalation = "tier 2"'] if sop else []),
        "+++",
    ]
    for section in range(4):
        lines += ["", f"## {' '.join(rng.sample(WORDS, 3)).title()} {section}", ""]
        lines += [" ".join(rng.choices(words, weights, k=14)) + "." for _ in range(6)]
        lines.append(f"See [article {n + 1}](a{(n + 1) % 5000}.md).")
    if sop:
        lines += [""] + [f"{s}. {' '.join(rng.choices(words, weights, k=10))}" for s in range(1, 8)]
    return "\n".join(lines) + "\n"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--suggestions", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(20)
    vocab = vocabulary(rng)
    with tempfile.TemporaryDirectory(prefix="deskterm-kb-") as tmp:
        folder = Path(tmp) / "knowledge"
        folder.mkdir()
        for n in range(args.articles):
            (folder / f"a{n}.md").write_text(article_text(n, rng, vocab), encoding="utf-8")
        store = open_store(Path(tmp) / "bench.db")

        start, cpu = time.perf_counter(), time.process_time()
        done = kb.refresh(store, folder)
        first, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert not done.problems, done.problems[:3]
        print(
            f"index {len(done.read)} articles (cold)      {ms(first)}   cpu {ms(cpu).strip()}"
            "   target < 2000 ms"
        )

        start = time.perf_counter()
        again = kb.refresh(store, folder)
        print(f"check at start, nothing changed     {ms(time.perf_counter() - start)}")
        assert not again.read

        (folder / "a17.md").write_text(article_text(17, rng, vocab), encoding="utf-8")
        start = time.perf_counter()
        edited = kb.refresh(store, folder)
        print(f"one file edited                     {ms(time.perf_counter() - start)}")
        assert edited.read == ["a17"], edited.read

        samples, cpu = [], time.process_time()
        for _ in range(args.suggestions):
            facts = kb.TicketFacts(
                channel=rng.choice(CHANNELS),
                tags=tuple(rng.sample(TAGS, 2)),
                text="Hello, " + " ".join(rng.choices(*vocab, k=40)) + ". Thanks, Anna",
            )
            start = time.perf_counter()
            kb.suggest(store, facts)
            samples.append(time.perf_counter() - start)
        cpu = (time.process_time() - cpu) / args.suggestions
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(
            f"suggestions for a ticket            {ms(statistics.median(samples))} median"
            f"   p95 {ms(p95).strip()}   cpu {ms(cpu).strip()} mean   target < 20 ms"
        )
        store.close()


if __name__ == "__main__":
    main()
