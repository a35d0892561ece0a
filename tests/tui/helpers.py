"""Reading what the agent sees, for assertions."""

from __future__ import annotations

from textual.widgets import Static

from deskterm.tui.app import DeskApp


def queue_lines(app: DeskApp) -> list[str]:
    view = app.screen.queue
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def subjects(app: DeskApp) -> list[str]:
    view = app.screen.queue
    return [view.source.row(i).subject for i in range(view.source.exact_count())]


def cursor_subject(app: DeskApp) -> str:
    return app.screen.queue.current.subject


def thread_text(app: DeskApp) -> str:
    return "\n".join(str(m.render()) for m in app.screen.query_one("#thread").query(Static))


def notifications(app: DeskApp) -> list[str]:
    return [n.message for n in app._notifications]
