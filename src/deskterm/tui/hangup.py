"""Noticing that the terminal went away, so the workstation saves and quits instead of spinning:
Textual's input thread loops without end once its input is closed (about 70% of a core).

Two signs: SIGHUP (the terminal closed, e.g. its tmux session was killed) and the input
reporting a hang-up or an error when polled (the other end of a pipe or pty is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import signal
import sys
from collections.abc import Callable


def on_sighup(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` on the running loop at SIGHUP; returns what undoes that."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, callback)
    except (NotImplementedError, AttributeError, RuntimeError, ValueError):
        return lambda: None  # no SIGHUP here (Windows), or not the main thread

    def undo() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return undo


def input_closed() -> bool:
    """True when the terminal's input has hung up or failed (never blocks)."""
    stream = sys.__stdin__
    if stream is None:
        return True
    try:
        poller = select.poll()
        poller.register(stream.fileno(), select.POLLIN)
        events = poller.poll(0)
    except (OSError, ValueError, AttributeError):
        return False  # cannot tell (no poll on this system): rely on SIGHUP
    gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
    return any(mask & gone for _, mask in events)


def forget(undo: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError, ValueError):
        undo()
