"""What the one duration and moment grammar costs: its import (the CLI starts fast) and a parse.

    .venv/bin/python bench/bench_durations.py [--runs 7]

Imports deskterm.durations in fresh interpreters (after the standard library it needs) and prints
the median; then times parse_duration and parse_when over typical texts.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import timeit
from datetime import UTC, datetime

from deskterm.durations import parse_duration, parse_when

IMPORT = (
    "import re, datetime, time; t = time.perf_counter(); import deskterm.durations; "
    "print(time.perf_counter() - t)"
)
DURATIONS = ("90s", "1h30m", "2 days", "1w2d")
MOMENTS = ("4h", "tomorrow 10:00", "friday 14:00", "2026-12-01 09:00", "16:30")


def import_ms(runs: int) -> float:
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", IMPORT], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"import deskterm.durations: {import_ms(args.runs):.2f} ms (median of {args.runs})")
    now = datetime(2026, 11, 19, 22, 30, tzinfo=UTC)
    loops = 20_000
    per = timeit.timeit(lambda: [parse_duration(t) for t in DURATIONS], number=loops)
    print(f"parse_duration: {per / loops / len(DURATIONS) * 1e6:.1f} us per text")
    per = timeit.timeit(lambda: [parse_when(t, now, UTC) for t in MOMENTS], number=loops)
    print(f"parse_when: {per / loops / len(MOMENTS) * 1e6:.1f} us per text")


if __name__ == "__main__":
    main()
