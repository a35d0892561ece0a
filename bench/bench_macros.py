"""Macro latency on the demo workspace: loading the packs, previewing, and applying.

A macro key must feel instant, so what matters is one preview (what the palette shows) and one
apply (reply + status + tag in one transaction), not throughput.

    .venv/bin/python bench/bench_macros.py [--applies 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskterm import macros
from deskterm.config import Config
from deskterm.demo import build_demo
from deskterm.store import open_store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def timed_ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1] if len(samples) > 1 else samples[0]
    print(
        f"{label:<28} n={len(samples):<5} median {statistics.median(samples):7.2f} ms"
        f"   p95 {p95:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applies", type=int, default=200)
    args = parser.parse_args()
    config = Config(agent="bench")
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        build_demo(store, seed=1, now=NOW)
        # The first load compiles every template; later ones hit the compile cache.
        report("load_macros, first", [timed_ms(macros.load_macros)])
        report("load_macros, again", [timed_ms(macros.load_macros) for _ in range(20)])
        wismo = macros.load_macros().get("wismo")
        shipped = [
            row[0]
            for row in store.conn.execute(
                "SELECT t.id FROM tickets t JOIN orders o ON o.id = t.order_id"
                " WHERE o.tracking_url != '' AND t.status IN ('new', 'open')"
                " AND t.merged_into IS NULL ORDER BY t.id"
            )
        ]
        report(
            "preview wismo",
            [timed_ms(lambda t=t: macros.preview(wismo, store, t, config=config)) for t in shipped],
        )
        moment = NOW + timedelta(minutes=1)
        applied = [
            timed_ms(lambda t=t: macros.apply(wismo, store, t, config=config, at=moment))
            for t in shipped[: args.applies]
        ]
        report("apply wismo (3 actions)", applied)
        report(
            "undo_macro wismo",
            [timed_ms(lambda: macros.undo_macro(store, "wismo", at=moment)) for _ in applied],
        )
        store.close()


if __name__ == "__main__":
    main()
