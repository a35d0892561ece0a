"""The ticket actions both the queue and the ticket screen offer: prompt, call actions, report.

Every change goes through deskterm.actions (or a macro), in the app's job queue, off the UI
thread: a slow connector call or a locked file never stops the keys. A refusal (ActionError,
MacroError) is shown to the agent and nothing else happens. After a finishing action the screen
moves on or stays, as [tui] after_action says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from textual import events
from textual.widgets import Input, TextArea

from deskterm import actions, connector_calls, macros
from deskterm.domain import Priority
from deskterm.durations import parse_when
from deskterm.store import Store, queries
from deskterm.triage.suggest import Suggestion
from deskterm.tui.desk import DeskScreen
from deskterm.tui.jobs import Job
from deskterm.tui.screens.connector_actions import Confirmed, ConnectorActions
from deskterm.tui.screens.macros import Chosen, MacroPalette
from deskterm.tui.screens.prompts import ChoicePrompt, TextPrompt
from deskterm.tui.widgets.composer import Composer

SNOOZE_CHOICES: list[tuple[str, str]] = [
    ("1 hour", "1h"),
    ("4 hours", "4h"),
    ("Tomorrow 9:00", "tomorrow"),
    ("Next week (Monday 9:00)", "next week"),
    ("Custom…", "custom"),
]

# Actions that hand the ticket on: after these the agent wants the next ticket (if so configured).
FINISHING = frozenset({"resolve", "pending", "snooze", "escalate", "reply", "macro"})

Call = Callable[[Store, int], object]


class TicketActions(DeskScreen[None]):
    """A screen that acts on one ticket; subclasses say which one and what "next" means."""

    def current_ticket_id(self) -> int | None:
        raise NotImplementedError

    def suggested_macros(self) -> list[Suggestion]:
        """Macros to offer first in the palette (the ticket screen knows them; the queue not)."""
        return []

    def after_action(self, kind: str, ticket_id: int, after: str) -> None:
        """Refresh after a successful action; move on when it finished the ticket and after="next"."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The screen's keys are priority bindings, so a fast burst is settled in the order typed
        # (after "/" the rest lands in the search line; the actions that open a dialog await it,
        # so "e" followed by a reason fills the dialog); while a text field has the focus, they
        # are letters, not commands.
        return not isinstance(self.focused, Input | TextArea)

    def act(
        self,
        kind: str,
        call: Call,
        done: str,
        *,
        before: Callable[[], None] | None = None,
        refused: Callable[[], None] | None = None,
        undo: tuple[str, str] = ("agent", ""),
        after: str | None = None,
        label: str = "{kind} on #{id}",
    ) -> None:
        """Queue one action on the current ticket; report its outcome when it has run.

        `before` runs once the action succeeded and before the screen moves on, `refused` when it
        was refused; `undo` says what u reverts afterwards; `after` ("next"/"stay") overrides the
        [tui] setting; `label` is what the activity line says while it runs.
        """
        ticket_id = self.current_ticket_id()
        if ticket_id is None:
            self.notify("No ticket selected", severity="warning")
            return
        desk = self.desk
        # On the stack now, so a u typed before the action has run reverts this one.
        desk.undo_stack.append(undo)

        def finished(_: object) -> None:
            # The screen may be gone by now (the agent left while the action ran).
            if before is not None and self.is_attached:
                before()
            if kind in ("reply", "macro", "resend"):
                desk.kick_sync()
            self.notify(done.format(id=ticket_id), timeout=3)
            desk.data_changed()
            if self.is_active:
                self.after_action(kind, ticket_id, after or desk.settings.after_action)

        def not_done(reason: str) -> None:
            stack = desk.undo_stack
            for n in range(len(stack) - 1, -1, -1):
                if stack[n] == undo:
                    del stack[n]
                    break
            self.notify(reason, title="Not done", severity="error")
            if refused is not None:
                refused()

        desk.submit(
            Job(
                label.format(kind=kind, id=ticket_id),
                lambda store: call(store, ticket_id),
                finished,
                not_done,
            )
        )

    def _who(self) -> dict[str, Any]:
        return {"actor": self.desk.actor, "at": self.desk.now()}

    def action_resolve(self) -> None:
        who = self._who()
        self.act("resolve", lambda s, t: actions.resolve(s, t, **who), "Resolved #{id}")

    def action_resend(self) -> None:
        who = self._who()

        def resend(store: Store, ticket_id: int) -> None:
            failed = queries.failed_sends(store, ticket_id)
            if not failed:
                raise actions.ActionError(f"ticket #{ticket_id} has no failed replies")
            for item in failed:
                actions.retry_send(store, item, **who)

        self.act("resend", resend, "Failed replies on #{id} will be sent again")

    def action_pending(self) -> None:
        who = self._who()
        self.act(
            "pending",
            lambda s, t: actions.set_status(s, t, "pending", **who),
            "#{id} is pending: waiting on the customer",
        )

    def action_undo(self) -> None:
        """Revert the last change made here: an agent action, or a whole macro application."""
        desk = self.desk
        who, name = desk.undo_stack.pop() if desk.undo_stack else ("agent", "")
        at, actor = desk.now(), desk.actor

        def undo(store: Store) -> tuple[int, str, str]:
            if who == "macro":
                done = macros.undo_macro(store, name, at=at)[-1]
                return queries.event_ticket(store, done.event_id), "macro", f"macro {name}"
            done = actions.undo(store, actor=actor, at=at)
            ticket_id, kind, data = queries.undone_event(store, done.event_id)
            return ticket_id, kind, actions.undone_words(kind, data)

        def finished(outcome: tuple[int, str, str]) -> None:
            ticket_id, kind, what = outcome
            draft = "; its text is back in the draft" if actions.back_in_draft(kind) else ""
            self.notify(f"Undid {what} on #{ticket_id}{draft}", timeout=4)
            desk.data_changed()
            if self.is_active:
                self.after_action("undo", ticket_id, "stay")
                # The text taken back is in the draft: the ticket's open composer shows it.
                for composer in self.query(Composer):
                    if kind in ("reply", "note") and composer.ticket_id == ticket_id:
                        composer.open(kind)

        def refused(reason: str) -> None:
            self.notify(reason, title="Nothing undone", severity="warning")

        desk.submit(Job("undo", undo, finished, refused))

    async def action_macros(self, chosen: str | None = None) -> None:
        ticket_id = self.current_ticket_id()
        if ticket_id is None:
            return
        if not len(self.desk.macros):
            self.notify("No macros are installed", severity="warning")
            return
        await self.app.push_screen(
            MacroPalette(
                self.desk.macros, ticket_id, chosen=chosen, suggested=self.suggested_macros()
            ),
            self._macro_chosen,
        )

    def action_connector_actions(self, chosen: str | None = None) -> None:
        """The channel actions the ticket's order offers (Amazon messages, ...), `chosen` first."""
        ticket_id = self.current_ticket_id()
        if ticket_id is not None:
            self.app.push_screen(
                ConnectorActions(ticket_id, chosen=chosen), self._connector_action_confirmed
            )

    def _connector_action_confirmed(self, confirmed: Confirmed | None) -> None:
        if confirmed is None:
            return
        actor = self.desk.actor

        def run(store: Store, ticket_id: int) -> None:
            try:
                call = connector_calls.run(
                    store, ticket_id, confirmed.name, confirmed.params, confirmed_by=actor
                )
            except connector_calls.CallError as exc:
                raise actions.ActionError(str(exc)) from None
            if call.status not in ("done", "queued"):
                raise actions.ActionError(call.outcome)

        self.act(
            "connector",
            run,
            confirmed.description.replace("{", "{{").replace("}", "}}") + ": done on #{id}",
            after="stay",
            label=f"{confirmed.name} on #{{id}}",
        )

    def _macro_chosen(self, chosen: Chosen | None) -> None:
        if chosen is None:
            return
        item = self.desk.macros.get(chosen.name)
        if not chosen.needs_confirmation:
            self._apply_macro(item, confirm=False)
            return

        def confirmed(answer: str | None) -> None:
            if answer == "yes":
                self._apply_macro(item, confirm=True)

        self.app.push_screen(
            ChoicePrompt(
                f"Macro {item.name} acts outside deskterm (see its steps). Run it?",
                [("No, cancel", "no"), ("Yes, run it", "yes")],
            ),
            confirmed,
        )

    def _apply_macro(self, item: macros.Macro, *, confirm: bool) -> None:
        config, at = self.desk.config, self.desk.now()
        self.act(
            "macro",
            lambda s, t: macros.apply(
                item, s, t, config.agent, confirm=confirm, config=config, at=at
            ),
            f"Applied {item.name} to #{{id}}",
            undo=("macro", item.name),
            after=item.after,
            label=f"macro {item.name} on #{{id}}",
        )

    async def on_key(self, event: events.Key) -> None:
        """A key bound to a macro opens that macro's preview (unless the agent is typing)."""
        if isinstance(self.focused, Input | TextArea):
            return
        name = self.desk.macros.keys.get(event.key)
        if name is not None:
            event.stop()
            await self.action_macros(name)

    async def action_escalate(self) -> None:
        levels = self.desk.config.escalation_levels

        def answered(reason: str | None) -> None:
            if reason is None:
                return
            who = self._who()
            self.act(
                "escalate",
                lambda s, t: actions.escalate(s, t, reason, levels=levels, **who),
                "Escalated #{id}",
            )

        if self.current_ticket_id() is not None:
            await self.app.push_screen(
                TextPrompt("Escalate: why?", placeholder="what the next tier needs to know"),
                answered,
            )

    async def action_assign(self) -> None:
        def answered(name: str | None) -> None:
            if name is None:
                return
            who = self._who()
            self.act(
                "assign",
                lambda s, t: actions.assign(s, t, name or None, **who),
                f"#{{id}} assigned to {name}" if name.strip() else "#{id} unassigned",
            )

        if self.current_ticket_id() is not None:
            await self.app.push_screen(
                TextPrompt(
                    "Assign to",
                    value=self.desk.config.agent,
                    hint="empty = nobody; enter to confirm, esc to cancel",
                ),
                answered,
            )

    async def action_tag(self) -> None:
        def answered(text: str | None) -> None:
            if not text:
                return
            who = self._who()
            for word in text.split():
                if word.startswith("-"):
                    name = word[1:]
                    untag = partial(actions.untag, name=name, **who)
                    self.act("untag", untag, f"#{{id}}: removed tag {name}")
                else:
                    tag = partial(actions.tag, name=word, **who)
                    self.act("tag", tag, f"#{{id}} tagged {word}")

        if self.current_ticket_id() is not None:
            await self.app.push_screen(
                TextPrompt("Tags", placeholder="wismo refund -old", hint="-tag removes a tag"),
                answered,
            )

    async def action_priority(self) -> None:
        def answered(value: str | None) -> None:
            if value is None:
                return
            who = self._who()
            self.act(
                "priority",
                lambda s, t: actions.set_priority(s, t, value, **who),
                f"#{{id}} priority {value}",
            )

        if self.current_ticket_id() is not None:
            choices = [(p.value, p.value) for p in reversed(Priority)]
            await self.app.push_screen(ChoicePrompt("Priority", choices), answered)

    async def action_snooze(self) -> None:
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
            await self.app.push_screen(ChoicePrompt("Snooze for", SNOOZE_CHOICES), chosen)

    def _snooze(self, choice: str) -> None:
        now: datetime = self.desk.now()
        zone = self.desk.zone
        try:
            until = parse_when(choice, now, zone)
        except ValueError as exc:
            self.notify(str(exc), title="Not snoozed", severity="error")
            return
        label = until.astimezone(zone).strftime("%a %d %b %H:%M")
        who = self._who()
        self.act(
            "snooze",
            lambda s, t: actions.snooze(s, t, until, **who),
            f"#{{id}} snoozed until {label}",
        )
