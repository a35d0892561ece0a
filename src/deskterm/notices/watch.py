"""The desktop notifications of `sync --watch` and `team sync --watch`: every few seconds, the SLA
crossings and new mail since the last look, as the workstation tells them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Collection
    from datetime import datetime
    from pathlib import Path

    from deskterm.config import Config
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
    thread.start()
    try:
        notify_until(stop, db_path, config)
    except KeyboardInterrupt:
        stop.set()
    thread.join()
    if ended:
        raise ended[0]


def notify_until(stop: threading.Event, db_path: Path, config: Config) -> None:
    """Tell the desktop of SLA crossings and new mail on your tickets ([tui] desktop), as the
    workstation does, until `stop` is set; without the setting, just wait."""
    import sys

    from deskterm.domain import utcnow
    from deskterm.notices import desktop
    from deskterm.store import open_store
    from deskterm.views import TUI

    wanted = config.get(TUI).desktop
    if not wanted:
        stop.wait()
        return
    store = open_store(db_path)
    since = utcnow()
    try:
        while not stop.wait(NOTIFY_SECONDS):
            until = utcnow()
            for title, text in news(store, since, until, wanted, config.agent):
                desktop.deliver(title, text, sys.stdout)
            since = until
    finally:
        store.close()


def news(
    store: Store, since: datetime, until: datetime, wanted: Collection[str], agent: str
) -> list[tuple[str, str]]:
    """The desktop notifications for (since, until]: the tickets that crossed into warning or
    breach, and customer mail on `agent`'s tickets, as far as `wanted` asks."""
    from deskterm.notices import clock, desktop

    found = clock.read(store, since, until, agent if "mine" in wanted else None)
    return desktop.notifications(found.crossed, found.mail, wanted)
