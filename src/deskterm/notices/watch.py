"""The desktop notifications of `sync --watch` and `team sync --watch`: every few seconds, the SLA
crossings and new mail since the last look, as the workstation tells them."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Collection, Iterator
    from datetime import datetime
    from pathlib import Path

    from deskterm.config import Config
    from deskterm.notices.clock import CrossingWatch
    from deskterm.store import Store

# How often `sync --watch` looks for SLA crossings and new mail to tell the desktop about.
NOTIFY_SECONDS = 5.0


def watch_with_news(
    watch: Callable[[threading.Event], None], db_path: Path, config: Config
) -> None:
    """Run a --watch loop, `watch(stop)`, on a thread of its own while this one tells the desktop
    what `sync --watch` tells it, until the loop ends or Ctrl-C stops it; what ended the loop
    is raised here."""
    import threading

    stop = threading.Event()
    ended: list[Exception] = []

    def loop() -> None:
        try:
            watch(stop)
        except Exception as exc:  # raised again on the caller's thread, which reports it
            ended.append(exc)
        finally:
            stop.set()

    thread = threading.Thread(target=loop, name="watch", daemon=True)
    with interrupted_by_signals():
        try:
            thread.start()
            notify_until(stop, db_path, config)
        except KeyboardInterrupt:
            stop.set()
    thread.join()
    if ended:
        raise ended[0]


@contextmanager
def interrupted_by_signals() -> Iterator[None]:
    """SIGTERM interrupts as Ctrl-C does (KeyboardInterrupt on this, the main thread), and so
    does SIGINT even where it came ignored (a job a script started in the background), so a
    --watch loop told to stop ends its work in hand and exits 0 instead of dying mid-work."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = (signal.SIGINT, signal.SIGTERM)
    before = {sig: signal.signal(sig, signal.default_int_handler) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def notify_until(stop: threading.Event, db_path: Path, config: Config) -> None:
    """Tell the desktop of SLA crossings and new mail on your tickets ([tui] desktop), as the
    workstation does, until `stop` is set; without the setting, just wait."""
    import sys

    from deskterm.domain import utcnow
    from deskterm.notices import clock, desktop
    from deskterm.store import open_store
    from deskterm.views import TUI

    wanted = config.get(TUI).desktop
    if not wanted:
        stop.wait()
        return
    store = open_store(db_path)
    try:
        watch = clock.watching_from(store, utcnow())
        while not stop.wait(NOTIFY_SECONDS):
            for title, text in news(store, watch, utcnow(), wanted, config.agent):
                desktop.deliver(title, text, sys.stdout)
    finally:
        store.close()


def news(
    store: Store, watch: CrossingWatch, until: datetime, wanted: Collection[str], agent: str
) -> list[tuple[str, str]]:
    """The desktop notifications since `watch` last looked, up to `until`: the tickets that
    crossed into warning or breach, and the customer mail on `agent`'s tickets that arrived on
    this replica meanwhile, as far as `wanted` asks; `watch` moves on past them."""
    from deskterm.notices import clock, desktop

    found = clock.read(
        store, watch.start(), until, agent if "mine" in wanted else None, watch.mail_after
    )
    watch.settle(found)
    return desktop.notifications(found.crossed, found.mail, wanted)
