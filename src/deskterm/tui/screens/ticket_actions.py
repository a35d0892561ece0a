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
from deskterm.tui.jobs import REFUSALS, Job
from deskterm.tui.screens.connector_actions import Confirmed, ConnectorActions
from deskterm.tui.screens.macros import Chosen, MacroPalette
from deskterm.tui.screens.prompts import ChoicePrompt, TextPrompt
from deskterm.tui.widgets.composer import Composer
from deskterm.tui.widgets.queue_view import one_line, queue_subject

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

    def marked_ids(self) -> list[int]:
        """The tickets marked for a bulk change (only the queue marks)."""
        return []

    def marks_done(self) -> None:
        """A bulk change ran on the marked tickets: the marks have served."""

    def merged_into(self, target: int) -> None:
        """The current ticket was merged into `target` (the ticket screen follows it)."""

    def thread_seen(self, ticket_id: int) -> int | None:
        """How far into a team's log the thread of `ticket_id` went as this screen showed it,
        for a reply written against it (Traffic Cop); None: this screen shows no thread, so
        the reply counts what the replica holds."""
        return None

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
        done: str | Callable[[Any], str],
        *,
        before: Callable[[], None] | None = None,
        refused: Callable[[], None] | None = None,
        undo: tuple[str, str] = ("agent", ""),
        after: str | None = None,
        label: str = "{kind} on #{id}",
        bulk: tuple[str, str] | None = None,
    ) -> None:
        """Queue one action on the current ticket; report its outcome when it has run.

        `done` is what is said once it is done: with {id}, or made from what `call` returned.
        `before` runs once the action succeeded and before the screen moves on, `refused` when it
        was refused; `undo` says what u reverts afterwards; `after` ("next"/"stay") overrides the
        [tui] setting; `label` is what the activity line says while it runs. While tickets are
        marked, an action that can (`bulk`: its summary's verb and what, "Tagged", " with vip")
        runs on all of them instead, as one batch; one that cannot is refused.
        """
        if self._on_marked(kind, call, bulk):
            return
        ticket_id = self.current_ticket_id()
        if ticket_id is None:
            self.notify("No ticket selected", severity="warning")
            return
        desk = self.desk
        # On the stack now, so a u typed before the action has run reverts this one.
        desk.undo_stack.append(undo)

        def finished(result: object) -> None:
            # The screen may be gone by now (the agent left while the action ran).
            if before is not None and self.is_attached:
                before()
            if kind in ("reply", "macro", "resend"):
                desk.kick_sync()
            said = done(result) if callable(done) else done.format(id=ticket_id)
            self.notify(said, timeout=3)
            desk.data_changed()
            if self.is_active:
                self.after_action(kind, ticket_id, after or desk.settings.after_action)

        def not_done(reason: str) -> None:
            forget_undo(desk.undo_stack, undo)
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

    def _on_marked(self, kind: str, call: Call, bulk: tuple[str, str] | None) -> bool:
        """While tickets are marked, run an action that can on all of them; refuse one that
        cannot. False when nothing is marked (the action is for the current ticket)."""
        marked = self.marked_ids()
        if not marked:
            return False
        if bulk is None:
            self.notify(
                f"{kind.capitalize()} acts on one ticket at a time; C clears the marks",
                severity="warning",
            )
        else:
            self.act_on_marked(kind, call, marked, bulk)
        return True

    def act_on_marked(
        self, kind: str, call: Call, marked: list[int], said: tuple[str, str]
    ) -> None:
        """Run `call` on every marked ticket in the job queue, one batch that u takes back whole;
        the activity line counts them, the summary says what was done and skipped."""
        desk = self.desk
        batch_id = actions.bulk.new_batch()
        desk.undo_stack.append(("batch", batch_id))

        def run(store: Store) -> actions.bulk.BulkResult:
            return actions.bulk.run(
                store, marked, call, refusals=REFUSALS, progress=desk.jobs.report, batch_id=batch_id
            )

        def finished(result: actions.bulk.BulkResult) -> None:
            if not result.changed:
                forget_undo(desk.undo_stack, ("batch", batch_id))
            summary = result.summary(*said)
            if result.skipped:
                self.notify(summary, timeout=8, severity="warning")
            else:
                self.notify(summary, timeout=8)
            if kind == "macro":
                desk.kick_sync()
            self.marks_done()
            desk.data_changed()

        def refused(reason: str) -> None:
            forget_undo(desk.undo_stack, ("batch", batch_id))
            self.notify(reason, title="Not done", severity="error")

        desk.submit(Job(f"{kind} on {len(marked)} tickets", run, finished, refused))

    def _who(self) -> dict[str, Any]:
        return {"actor": self.desk.actor, "at": self.desk.now()}

    def action_resolve(self) -> None:
        who = self._who()
        self.act(
            "resolve",
            lambda s, t: actions.resolve(s, t, **who),
            "Resolved #{id}",
            bulk=("Resolved", ""),
        )

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
            bulk=("Set", " to pending"),
        )

    def action_undo(self) -> None:
        """Revert the last change made here: an agent action, or a whole macro application."""
        desk = self.desk
        who, name = desk.undo_stack.pop() if desk.undo_stack else ("agent", "")
        at, actor = desk.now(), desk.actor

        def undo(store: Store) -> tuple[int, str, str]:
            if who == "batch":
                tickets = actions.undo_batch(store, name, actor=actor, at=at)
                return tickets, "batch", "the bulk change"
            if who == "macro":
                done = macros.undo_macro(store, name, at=at)[-1]
                return queries.event_ticket(store, done.event_id), "macro", f"macro {name}"
            done = actions.undo(store, actor=actor, at=at)
            ticket_id, kind, data = queries.undone_event(store, done.event_id)
            return ticket_id, kind, actions.undone_words(kind, data)

        def finished(outcome: tuple[int, str, str]) -> None:
            ticket_id, kind, what = outcome
            if kind == "batch":
                self.notify(f"Undid {what} on {ticket_id} tickets", timeout=4)
                desk.data_changed()
                return
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
        # Its reply is written against the thread shown as the agent picks it.
        seen = self.thread_seen(ticket_id)
        await self.app.push_screen(
            MacroPalette(
                self.desk.macros, ticket_id, chosen=chosen, suggested=self.suggested_macros()
            ),
            lambda picked: self._macro_chosen(picked, ticket_id, seen),
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

    def _macro_chosen(self, chosen: Chosen | None, shown: int, seen: int | None) -> None:
        if chosen is None:
            return
        item = self.desk.macros.get(chosen.name)
        marked = len(self.marked_ids())
        # On many tickets, what writes to customers is asked once, after the one preview.
        ask = chosen.needs_confirmation or (marked and chosen.replies)
        if not ask:
            self._apply_macro(item, False, shown, seen)
            return

        def confirmed(answer: str | None) -> None:
            if answer == "yes":
                self._apply_macro(item, True, shown, seen)

        question = f"Macro {item.name} acts outside deskterm (see its steps). Run it?"
        if marked:
            does = (
                "acts outside deskterm" if chosen.needs_confirmation else "replies to the customer"
            )
            question = (
                f"Macro {item.name} {does}. Run it on the {marked} marked tickets, as previewed "
                "on this one?"
            )
        self.app.push_screen(
            ChoicePrompt(question, [("No, cancel", "no"), ("Yes, run it", "yes")]), confirmed
        )

    def _apply_macro(self, item: macros.Macro, confirm: bool, shown: int, seen: int | None) -> None:
        """Apply `item`; its reply on ticket `shown` is written against `seen` (on the other
        marked tickets, whose thread was not on the screen, against what the replica holds)."""
        config, at = self.desk.config, self.desk.now()
        self.act(
            "macro",
            lambda s, t: macros.apply(
                item,
                s,
                t,
                config.agent,
                confirm=confirm,
                config=config,
                at=at,
                seen=seen if t == shown else None,
            ),
            f"Applied {item.name} to #{{id}}",
            undo=("macro", item.name),
            after=item.after,
            label=f"macro {item.name} on #{{id}}",
            bulk=(f"Applied {item.name} to", ""),
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
                bulk=("Escalated", ""),
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
                bulk=("Assigned", f" to {name}") if name.strip() else ("Unassigned", ""),
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
            if self.marked_ids():
                words = text.split()
                change = partial(actions.bulk.change_tags, words=words, **who)
                self.act("tag", change, "", bulk=("Tagged", f" with {' '.join(words)}"))
                return
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
                bulk=("Set", f" to {value} priority"),
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
            bulk=("Snoozed", f" until {label}"),
        )

    async def action_merge(self) -> None:
        """Merge the marked tickets into the one picked among them, or this ticket into another
        of its customer's."""
        marked = self.marked_ids()
        if len(marked) == 1:
            self.notify("Mark two tickets or more to merge them (C clears the mark)")
            return
        store = self.desk.store
        if marked:
            # One row by key each, on the UI thread's connection, as the composer's draft.
            choices = [ticket_choice(store, t) for t in marked]
            await self.app.push_screen(
                ChoicePrompt(f"Merge the {len(marked)} marked tickets into", choices),
                partial(self._merge_marked, marked),
            )
            return
        ticket_id = self.current_ticket_id()
        shown = queries.ticket(store, ticket_id) if ticket_id is not None else None
        if shown is None:
            return
        others = [
            (f"#{t.id} {queue_subject(t.subject)[:34]}  ({t.status})", str(t.id))
            for t in queries.customer_tickets(store, shown.customer_id)
            if t.id != ticket_id
        ]
        if not others:
            self.notify(f"{one_line(shown.customer_name)} has no other ticket to merge into")
            return
        await self.app.push_screen(
            ChoicePrompt(f"Merge #{ticket_id} into", others), self._merge_into
        )

    def _merge_into(self, target: str | None) -> None:
        if target is None:
            return
        who = self._who()
        self.act(
            "merge",
            lambda s, t: actions.merge(s, t, int(target), **who),
            f"#{{id}} merged into #{target} (u undoes it)",
            before=partial(self.merged_into, int(target)),
            after="stay",
        )

    def _merge_marked(self, marked: list[int], target: str | None) -> None:
        if target is None:
            return
        who, into = self._who(), int(target)
        self.act_on_marked(
            "merge",
            lambda s, t: actions.merge(s, t, into, **who),
            [t for t in marked if t != into],
            ("Merged", f" into #{into}"),
        )


def ticket_choice(store: Store, ticket_id: int) -> tuple[str, str]:
    """A ticket as one line of a pick-list: its number, subject and status."""
    found = queries.ticket(store, ticket_id)
    if found is None:
        return f"#{ticket_id}", str(ticket_id)
    label = f"#{ticket_id} {queue_subject(found.subject)[:34]}  ({found.status})"
    return label, str(ticket_id)


def forget_undo(stack: list[tuple[str, str]], entry: tuple[str, str]) -> None:
    """Take back the newest `entry` of the undo stack: its change was refused, or changed nothing."""
    for n in range(len(stack) - 1, -1, -1):
        if stack[n] == entry:
            del stack[n]
            return
