"""The knowledge folder, watched while the app runs: every few seconds a worker stats the article
files (nothing is read); when one was added, edited or removed since the last look, the index is
brought up to date and the screens read again, so an open knowledge panel shows the new text.

The first look only notes how the files are. The panel brings the index up to date when it
opens; doing that at start instead made every screen read again while the first one settled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.worker import Worker

from deskterm import kb

if TYPE_CHECKING:
    from deskterm.tui.app import DeskApp

# A stat per file: for 5,000 articles ~30 ms of a worker's time each look.
WATCH_SECONDS = 3.0
GROUP = "kb-watch"


class KnowledgeWatch:
    def __init__(self, app: DeskApp) -> None:
        self.app = app
        self._seen: kb.Stamps | None = None
        self._worker: Worker[None] | None = None

    def start(self) -> None:
        self.look()
        self.app.set_interval(WATCH_SECONDS, self.look)

    def look(self) -> None:
        """Look at the files in a worker, unless the last look is still under way."""
        if self._worker is not None and not self._worker.is_finished:
            return
        self._worker = self.app.run_worker(
            self._look, group=GROUP, thread=True, exit_on_error=False
        )

    def _look(self) -> None:
        now = kb.stamps()
        if self._seen is not None and now != self._seen:
            with self.app.connection() as store:
                done = kb.refresh(store)
            if done.read or done.removed:
                self.app.call_from_thread(self.app.data_changed)
        # Only after a refresh that worked: one that failed (the database busy) is tried again.
        self._seen = now
