"""The one write path for people, macros and rules: each action is one transaction that changes a
ticket, writes exactly one `events` row and, for replies, queues an `outbox` item.

Actors are strings of the form ``kind:name`` (``agent:anna``, ``macro:wismo``, ``rule:vip``,
``sync:shop-mail``). Event kinds and their data:

- ``created`` {account, channel, message}: ingest opened the ticket with its first message;
  {account, channel, order}: a rule opened it to write first about an order
- ``message_in`` {message, automatic}: a customer message was added
- ``reply`` {message, outbox} / ``note`` {message}
- ``status``, ``priority``, ``assign``, ``escalate``, ``snooze`` {before, after}; escalate adds reason
- ``tag`` / ``untag`` {tag}
- ``merge`` {source, messages, source_status}: written on the ticket that received the messages
- ``split`` {source, message}: written on the new ticket a customer message was moved to
- ``undo`` {event}: the event that was reverted (which gets ``undone_by``)
- any event written inside ``batch()`` (a bulk change, actions.bulk) also carries {batch}: undo
  takes the whole batch back at once
- ``sop_tick`` / ``sop_untick`` {sop, step, text}: a step of an SOP's checklist was ticked or not
- ``retry_send`` {outbox} / ``cancel_send`` {outbox, body}: a person acted on an unsent reply
- ``delivered`` / ``delivery_failed`` {outbox, ...}: written by the sync engine
- ``handled`` {seconds, composing}: time an agent had the ticket open in the TUI (records)
- ``rating`` {survey, score, comment, message}: a customer's survey answer (records)

The actions live by what they touch: fields (status, priority, assignee, escalation, snooze, tags),
messages (note, merge, split), outbox (reply, retry, cancel), checklist (SOP steps), undo and records
(handle time, ratings), which change nothing on the ticket; bulk runs one of them over many
tickets as one batch; common holds what they share.
"""

from deskterm.actions import bulk
from deskterm.actions.checklist import tick_step, untick_step
from deskterm.actions.common import (
    ActionError,
    Done,
    Origin,
    applied_by,
    batch,
    clocks_deferred,
    finish,
    rules_in_force,
    write_event,
)
from deskterm.actions.fields import (
    TAG_RE,
    assign,
    escalate,
    reopen,
    resolve,
    set_priority,
    set_status,
    snooze,
    tag,
    untag,
    write_field,
    write_tag,
)
from deskterm.actions.messages import merge, note, split, write_merge, write_split
from deskterm.actions.opening import open_for_order
from deskterm.actions.outbox import cancel_send, reply, reply_subject, retry_send
from deskterm.actions.records import record_handling, record_rating
from deskterm.actions.undo import back_in_draft, undo, undo_batch, undone_words, write_undo

__all__ = [
    "TAG_RE",
    "ActionError",
    "Done",
    "Origin",
    "applied_by",
    "assign",
    "back_in_draft",
    "batch",
    "bulk",
    "cancel_send",
    "clocks_deferred",
    "escalate",
    "finish",
    "merge",
    "note",
    "open_for_order",
    "record_handling",
    "record_rating",
    "reopen",
    "reply",
    "reply_subject",
    "resolve",
    "retry_send",
    "rules_in_force",
    "set_priority",
    "set_status",
    "snooze",
    "split",
    "tag",
    "tick_step",
    "undo",
    "undo_batch",
    "undone_words",
    "untag",
    "untick_step",
    "write_event",
    "write_field",
    "write_merge",
    "write_split",
    "write_tag",
    "write_undo",
]
