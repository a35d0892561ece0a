"""Durations summed into fixed log-spaced buckets, and the median and p90 read back from them.

A bucket holds the values v with RATIO**k <= v < RATIO**(k + 1) for one whole k (0 alone in a
bucket of its own, negative values mirrored), and keeps how many values fell in it and their sum.
A percentile read from the buckets is the mean of the values in the bucket its rank falls in:
a value of that bucket's range, so it is within BOUND (relative) of the exact percentile, and
exact when every value in that bucket is the same. The median of an even count is the mean of
two such values, so within BOUND too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# Each bucket is 2% wide: the largest value in it is less than 1.02 times the smallest.
RATIO = 1.02
BOUND = RATIO - 1
_LOG = math.log(RATIO)
# Buckets of positive values start above this, so that values down to 1.02**-OFFSET (2.6e-9)
# keep a positive bucket number and every bucket sorts in the values' order; smaller ones (no
# duration is stored finer than a second) share the first bucket.
OFFSET = 1000

Histogram = Mapping[int, tuple[int, float]]


def bucket(value: float) -> int:
    """The bucket `value` falls in; the buckets' order is the values' order."""
    if value == 0:
        return 0
    number = max(1, 1 + OFFSET + math.floor(math.log(abs(value)) / _LOG))
    return number if value > 0 else -number


def merged(rows: Iterable[tuple[int, int, float]]) -> dict[int, tuple[int, float]]:
    """(bucket, count, sum) rows summed per bucket; empty buckets left out."""
    found: dict[int, tuple[int, float]] = {}
    for number, count, total in rows:
        had = found.get(number, (0, 0))
        found[number] = (had[0] + count, had[1] + total)
    return {number: value for number, value in found.items() if value[0]}


def _at_ranks(histogram: Histogram, ranks: list[int]) -> list[float]:
    """The value the histogram gives at each rank (1-based, ascending)."""
    found: list[float] = []
    seen = 0
    wanted = iter(sorted(ranks))
    rank = next(wanted, None)
    for number in sorted(histogram):
        count, total = histogram[number]
        seen += count
        while rank is not None and rank <= seen:
            found.append(total / count)
            rank = next(wanted, None)
    return found


def median_p90(histogram: Histogram) -> tuple[float | None, float | None]:
    """The median (the middle value, or the mean of the two) and the nearest-rank p90, as
    deskterm.metrics.stats gives them, read from the buckets (within BOUND)."""
    count = sum(n for n, _ in histogram.values())
    if not count:
        return None, None
    middle = sorted({(count + 1) // 2, count // 2 + 1})
    top = max(1, math.ceil(0.9 * count))
    ranks = sorted([*middle, top])
    by_rank = dict(zip(ranks, _at_ranks(histogram, ranks), strict=True))
    return sum(by_rank[r] for r in middle) / len(middle), by_rank[top]
