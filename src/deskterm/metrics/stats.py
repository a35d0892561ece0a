"""Summaries of a list of durations or scores: count, mean, median and 90th percentile."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spread:
    """How a set of values is spread; every field is None when there are no values."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None


def median(values: Sequence[float]) -> float | None:
    """The middle value; with an even count, the mean of the two middle ones."""
    if not values:
        return None
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[half])
    return (ordered[half - 1] + ordered[half]) / 2


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `share` of values at or
    below it (p90 of 1..10 is 9; of 1..20, 18). Always a value that occurred."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0, None, None, None)
    return Spread(len(values), sum(values) / len(values), median(values), percentile(values, 0.9))


def ratio(part: int, whole: int) -> float | None:
    """part ÷ whole, or None when there is nothing to divide by."""
    return part / whole if whole else None
