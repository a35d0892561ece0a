"""deskterm.sync.pools: in-order results from worker processes, with a bounded window of jobs."""

from __future__ import annotations

import operator
from collections.abc import Iterator

from deskterm.sync import pools


def counting(count: int, taken: list[int]) -> Iterator[int]:
    """0..count-1, noting in `taken` each number as the pool takes it."""
    for n in range(count):
        taken.append(n)
        yield n


def test_in_order_gives_every_result_in_input_order():
    with pools.pool(2, []) as pool:
        results = list(pools.in_order(pool, operator.neg, range(1000), job=7, ahead=5))
    assert results == [-n for n in range(1000)]


def test_in_order_reads_no_more_input_than_its_window():
    taken: list[int] = []
    with pools.pool(1, []) as pool:
        results = pools.in_order(pool, operator.neg, counting(10_000, taken), job=10, ahead=3)
        assert next(results) == 0
        assert len(taken) <= 10 * 3 + 1  # a huge mbox is never read into memory at once
        results.close()
    assert len(taken) < 10_000


def test_a_pool_left_early_drops_the_jobs_not_started():
    with pools.pool(1, []) as pool:
        futures = [pool.submit(sum, range(n)) for n in range(200)]
    assert all(f.done() for f in futures)
    assert any(f.cancelled() for f in futures)


def test_weighed_items_stay_under_the_budget_and_a_heavy_one_is_a_job_of_its_own():
    taken: list[int] = []

    def weigh(n: int) -> int:
        return 1000 if n % 10 == 0 else 1

    with pools.pool(1, []) as pool:
        results = pools.in_order(
            pool, operator.neg, counting(1000, taken), job=50, ahead=8, weigh=weigh, budget=2000
        )
        assert next(results) == 0
        held = sum(weigh(n) for n in taken)
        assert held < 2000 + 1000  # under the budget, give or take the last item taken
        assert list(results) == [-n for n in range(1, 1000)]


def test_idle_work_fills_the_wait_for_a_result_and_stops_when_it_has_none(tmp_path):
    import os
    import threading
    from pathlib import Path

    # The first result waits on a pipe written a while after the fifth slice of idle work: it is
    # pending for all five slices however slow the machine, and for a while after them.
    pipe, plain = tmp_path / "pipe", tmp_path / "plain"
    os.mkfifo(pipe)
    plain.write_text("second")
    answer = threading.Timer(0.3, pipe.write_text, ["first"])
    calls = []

    def idle() -> bool:
        calls.append(len(calls))
        if len(calls) == 5:  # five slices of work, then nothing left
            answer.start()
        return len(calls) < 5

    with pools.pool(1, []) as pool:
        work = Path.read_text
        results = list(pools.in_order(pool, work, [pipe, plain], job=1, ahead=2, idle=idle))
    answer.join()
    assert results == ["first", "second"]
    # Once idle() had nothing it was asked at most once more per result, not again and again
    # while the result was pending.
    assert 5 <= len(calls) <= 7


PARENT = """
import os, sys, time
from deskterm.sync import pools

with pools.pool(2, []) as pool:
    futures = [pool.submit(time.sleep, 60) for _ in range(2)]
    time.sleep(0.5)
    print(" ".join(str(p) for p in pool._processes), flush=True)
    time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_die_when_their_parent_is_killed():
    import os
    import signal
    import subprocess
    import sys
    import time

    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(alive(pid) for pid in workers)

    os.kill(parent.pid, signal.SIGKILL)  # as the OOM killer does: no clean-up runs
    parent.wait()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)

    left = [pid for pid in workers if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
