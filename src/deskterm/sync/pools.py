"""Worker processes for the CPU-bound halves of bulk work: parsing mail, evaluating SLA clocks.

One SQLite writer stores while other cores parse or evaluate. The pools are
concurrent.futures.ProcessPoolExecutor over forkserver, not multiprocessing.Pool: Pool's
worker-maintenance thread also waits on the result pipe, so it spins on every result until the
result thread has read it. During a 10,000-message IMAP sync that spin took 0.36 s of CPU and the
GIL from the writer, about 0.5 s of the sync's 3.8 s.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


# How often a worker looks whether the process that started its pool is still there.
PARENT_CHECK_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1


def _watch_parent(pid: int) -> None:
    """End this worker as soon as process `pid` is gone, however it ended (even SIGKILL, as the
    OOM killer sends, which runs no clean-up): a worker must never outlive its pool's owner."""
    if sys.platform.startswith("linux"):
        # Instantly when the forkserver that forked us goes, which it does when `pid` goes.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_start(
    parent: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    _watch_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def start(
    workers: int,
    preload: Sequence[str],
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A pool of `workers` processes forked from a server that has imported `preload`.

    forkserver, not fork: the caller may hold SQLite connections and run threads, which a forked
    child must not inherit. The server starts once per process, so only the first pool decides
    what it preloads; later pools fork their workers from it cheaply (spawn re-imported
    everything: about 0.1 ms per message of a 10,000-message sync went to start-up). Each
    worker ends by itself once the calling process is gone.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_worker_start,
        initargs=(os.getpid(), initializer, initargs),
    )


def stop(pool: ProcessPoolExecutor) -> None:
    """Drop the jobs not yet started, wait for the running ones and end the processes."""
    pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def pool(
    workers: int,
    preload: Sequence[str],
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[ProcessPoolExecutor]:
    executor = start(workers, preload, initializer, initargs)
    try:
        yield executor
    finally:
        stop(executor)


def each(work: Callable[[T], R], items: list[T]) -> list[R]:
    """work(item) for each of `items`: one job of a pool."""
    return [work(item) for item in items]


def in_order(
    executor: ProcessPoolExecutor,
    work: Callable[[T], R],
    items: Iterable[T],
    *,
    job: int,
    ahead: int,
    weigh: Callable[[T], int] | None = None,
    budget: int = 0,
    idle: Callable[[], bool] | None = None,
) -> Iterator[R]:
    """work(item) for each of `items` in the pool, in jobs of `job` items, in input order.

    At most `ahead` jobs are queued or running at a time, so the workers never wait for the
    caller while a huge input (a multi-gigabyte mbox) is never all in memory. With `weigh`, the
    queued items also stay under about `budget` (a job ends at its share of it, but holds at least
    one item), so a run of very large items does not fill `ahead` whole jobs.

    While the next result is not ready, `idle()` is called to do a slice of other work on the
    caller's core, until it returns False (nothing left to do); then the caller waits.
    """
    iterator = iter(items)
    jobs: deque[tuple[Future[list[R]], int]] = deque()
    held = 0
    share = max(budget // ahead, 1)
    while True:
        while len(jobs) < ahead and (weigh is None or held < budget):
            chunk, size = _take(iterator, job, weigh, share)
            if not chunk:
                break
            jobs.append((executor.submit(each, work, chunk), size))
            held += size
        if not jobs:
            return
        future, size = jobs.popleft()
        held -= size
        while idle is not None and not future.done() and idle():
            pass
        yield from future.result()


def _take(
    iterator: Iterator[T], count: int, weigh: Callable[[T], int] | None, share: int
) -> tuple[list[T], int]:
    """Up to `count` items, fewer once they weigh `share` or more; with their weight."""
    if weigh is None:
        return list(islice(iterator, count)), 0
    chunk: list[T] = []
    size = 0
    for item in iterator:
        chunk.append(item)
        size += weigh(item)
        if len(chunk) == count or size >= share:
            break
    return chunk, size
