"""The ticket actions both the queue and the ticket screen offer: prompt, call actions, report.

Every change goes through deskterm.actions; an ActionError is shown to the agent and nothing else
happens. After a finishing action the screen moves on or stays, as [tui] after_action says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import events
from textual.screen import Screen
from textual.widgets import Input, TextArea

from deskterm import actions, macros
from deskterm.domain import Priority
from deskterm.durations import parse_when
from deskterm.store import queries
from deskterm.tui.screens.macros import MacroPalette
from deskterm.tui.screens.prompts import ChoicePrompt, TextPrompt

SNOOZE_CHOICES: list[tuple[str, str]] = [
    ("1 hour", "1h"),
    ("4 hours", "4h"),
    ("Tomorrow 9:00", "tomorrow"),
    ("Next week (Monday 9:00)", "next week"),
    ("Custom…", "custom"),
]

# Actions that hand the ticket on: after these the agent wants the next ticket (if so configured).
FINISHING = frozenset({"resolve", "pending", "snooze", "escalate", "reply", "macro"})


class TicketActions(Screen):
    """A screen that acts on one ticket; subclasses say which one and what "next" means."""

    def current_ticket_id(self) -> int | None:
        raise NotImplementedError

    def after_action(self, kind: str, ticket_id: int, after: str) -> None:
        """Refresh after a successful action; move on when it finished the ticket and after="next"."""
        raise NotImplementedError

    def act(
        self,
        kind: str,
        call: Callable[[int], object],
        done: str,
        *,
        before: Callable[[], None] | None = None,
        undo: tuple[str, str] = ("agent", ""),
        after: str | None = None,
    ) -> bool:
        """Run one action on the current ticket; report the outcome. True when it happened.

        `before` runs once the action succeeded and before the screen moves on; `undo` says what
        u reverts afterwards; `after` ("next"/"stay") overrides the [tui] setting.
        """
        ticket_id = self.current_ticket_id()
        if ticket_id is None:
            self.notify("No ticket selected", severity="warning")
            return False
        try:
            call(ticket_id)
        except (actions.ActionError, macros.MacroError) as exc:
            self.notify(str(exc), title="Not done", severity="error")
            return False
        if before is not None:
            before()
        self.app.undo_stack.append(undo)
        if kind in ("reply", "macro", "resend"):
            self.app.kick_sync()
        self.notify(done.format(id=ticket_id), timeout=3)
        self.app.data_changed()
        self.after_action(kind, ticket_id, after or self.app.settings.after_action)
        return True

    @property
    def _who(self) -> dict:
        return {"actor": self.app.actor, "at": self.app.now()}

    def action_resolve(self) -> None:
        self.act(
            "resolve",
            lambda t: actions.resolve(self.app.store, t, **self._who),
            "Resolved #{id}",
        )

    def action_resend(self) -> None:
        def resend(ticket_id: int) -> None:
            failed = queries.failed_sends(self.app.store, ticket_id)
            if not failed:
                raise actions.ActionError(f"ticket #{ticket_id} has no failed replies")
            for item in failed:
                actions.retry_send(self.app.store, item, **self._who)

        self.act("resend", resend, "Failed replies on #{id} will be sent again")

    def action_pending(self) -> None:
        self.act(
            "pending",
            lambda t: actions.set_status(self.app.store, t, "pending", **self._who),
            "#{id} is pending: waiting on the customer",
        )

    def action_undo(self) -> None:
        """Revert the last change made here: an agent action, or a whole macro application."""
        who, name = self.app.undo_stack.pop() if self.app.undo_stack else ("agent", "")
        try:
            if who == "macro":
                done = macros.undo_macro(self.app.store, name, at=self.app.now())[-1]
            else:
                done = actions.undo(self.app.store, **self._who)
        except (actions.ActionError, macros.MacroError) as exc:
            self.notify(str(exc), title="Nothing undone", severity="warning")
            return
        ticket_id = self.app.store.conn.execute(
            "SELECT ticket_id FROM events WHERE id = ?", (done.event_id,)
        ).fetchone()[0]
        what = f"macro {name}" if who == "macro" else "the last change"
        self.notify(f"Undid {what} on #{ticket_id}", timeout=3)
        self.app.data_changed()
        self.after_action("undo", ticket_id, "stay")

    def action_macros(self, chosen: str | None = None) -> None:
        ticket_id = self.current_ticket_id()
        if ticket_id is None:
            return
        if not len(self.app.macros):
            self.notify("No macros are installed", severity="warning")
            return
        self.app.push_screen(
            MacroPalette(self.app.macros, ticket_id, chosen=chosen), self._macro_chosen
        )

    def _macro_chosen(self, name: str | None) -> None:
        if name is None:
            return
        item = self.app.macros.get(name)
        needs = any(
            step.needs_confirmation
            for step in macros.preview(
                item,
                self.app.store,
                self.current_ticket_id(),
                self.app.config.agent,
                config=self.app.config,
                now=self.app.now(),
            ).steps
        )
        if not needs:
            self._apply_macro(item, confirm=False)
            return

        def confirmed(answer: str | None) -> None:
            if answer == "yes":
                self._apply_macro(item, confirm=True)

        self.app.push_screen(
            ChoicePrompt(
                f"Macro {name} acts outside deskterm (see its steps). Run it?",
                [("No, cancel", "no"), ("Yes, run it", "yes")],
            ),
            confirmed,
        )

    def _apply_macro(self, item: macros.Macro, *, confirm: bool) -> None:
        self.act(
            "macro",
            lambda t: macros.apply(
                item,
                self.app.store,
                t,
                self.app.config.agent,
                confirm=confirm,
                config=self.app.config,
                at=self.app.now(),
            ),
            f"Applied {item.name} to #{{id}}",
            undo=("macro", item.name),
            after=item.after,
        )

    def on_key(self, event: events.Key) -> None:
        """A key bound to a macro opens that macro's preview (unless the agent is typing)."""
        if isinstance(self.focused, Input | TextArea):
            return
        name = self.app.macros.keys.get(event.key)
        if name is not None:
            event.stop()
            self.action_macros(name)

    def action_escalate(self) -> None:
        levels = self.app.config.escalation_levels

        def answered(reason: str | None) -> None:
            if reason is None:
                return
            self.act(
                "escalate",
                lambda t: actions.escalate(self.app.store, t, reason, levels=levels, **self._who),
                "Escalated #{id}",
            )

        if self.current_ticket_id() is not None:
            self.app.push_screen(
                TextPrompt("Escalate: why?", placeholder="what the next tier needs to know"),
                answered,
            )

    def action_assign(self) -> None:
        def answered(name: str | None) -> None:
            if name is None:
                return
            self.act(
                "assign",
                lambda t: actions.assign(self.app.store, t, name or None, **self._who),
                f"#{{id}} assigned to {name}" if name.strip() else "#{id} unassigned",
            )

        if self.current_ticket_id() is not None:
            self.app.push_screen(
                TextPrompt(
                    "Assign to",
                    value=self.app.config.agent,
                    hint="empty = nobody; enter to confirm, esc to cancel",
                ),
                answered,
            )

    def action_tag(self) -> None:
        def answered(text: str | None) -> None:
            if not text:
                return
            for word in text.split():
                if word.startswith("-"):
                    name = word[1:]
                    self.act(
                        "untag",
                        lambda t, n=name: actions.untag(self.app.store, t, n, **self._who),
                        f"#{{id}}: removed tag {name}",
                    )
                else:
                    self.act(
                        "tag",
                        lambda t, n=word: actions.tag(self.app.store, t, n, **self._who),
                        f"#{{id}} tagged {word}",
                    )

        if self.current_ticket_id() is not None:
            self.app.push_screen(
                TextPrompt("Tags", placeholder="wismo refund -old", hint="-tag removes a tag"),
                answered,
            )

    def action_priority(self) -> None:
        def answered(value: str | None) -> None:
            if value is None:
                return
            self.act(
                "priority",
                lambda t: actions.set_priority(self.app.store, t, value, **self._who),
                f"#{{id}} priority {value}",
            )

        if self.current_ticket_id() is not None:
            choices = [(p.value, p.value) for p in reversed(Priority)]
            self.app.push_screen(ChoicePrompt("Priority", choices), answered)

    def action_snooze(self) -> None:
        def chosen(value: str | None) -> None:
            if value == "custom":
                self.app.push_screen(
                    TextPrompt(
                        "Snooze until",
                        placeholder="3d, tomorrow, 2026-12-01 14:30",
                        hint="a duration, tomorrow, next week, a date or a date and time",
                    ),
                    chosen,
                )
            elif value:
                self._snooze(value)

        if self.current_ticket_id() is not None:
            self.app.push_screen(ChoicePrompt("Snooze for", SNOOZE_CHOICES), chosen)

    def _snooze(self, choice: str) -> None:
        now: datetime = self.app.now()
        try:
            until = parse_when(choice, now, self.app.zone)
        except ValueError as exc:
            self.notify(str(exc), title="Not snoozed", severity="error")
            return
        label = until.astimezone(self.app.zone).strftime("%a %d %b %H:%M")
        self.act(
            "snooze",
            lambda t: actions.snooze(self.app.store, t, until, **self._who),
            f"#{{id}} snoozed until {label}",
        )
