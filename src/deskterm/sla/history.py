"""A ticket's stored rows digested into the History the clock rules read; no I/O.

The rows come as deskterm.sla.clocks reads them (TICKET_COLUMNS, MESSAGE_COLUMNS, EVENT_COLUMNS):
who wrote when, which replies reached the customer, and the status and snooze changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from deskterm.domain import from_iso
from deskterm.sla import rules


def _category(status: str) -> str:
    if status in rules.DONE_STATUSES:
        return "done"
    return "waiting" if status in rules.WAITING_STATUSES else "working"


def _reply_fates(events: Iterable[Sequence]) -> tuple[set[int], dict[int, str | None]]:
    """The rules' own replies, and the replies the channel refused: each with the moment it was
    delivered after all (a retry), None while it has not been."""
    automatic: set[int] = set()
    replies: dict[int, int] = {}  # outbox item -> its message
    refused: dict[int, str | None] = {}
    for _tid, _id, at, actor, kind, data, undone_by in events:
        if undone_by is not None:
            continue
        if kind == "reply":
            reply = json.loads(data)
            if "outbox" in reply:
                replies[reply["outbox"]] = reply["message"]
            if actor.startswith("rule:"):
                automatic.add(reply["message"])
        elif kind in ("delivered", "delivery_failed"):
            message = replies.get(json.loads(data)["outbox"])
            if message is None:
                continue
            if kind == "delivery_failed":
                refused[message] = None
            elif message in refused:
                refused[message] = at
    return automatic, refused


def _message_moments(
    messages: Iterable[Sequence], events: list[Sequence]
) -> tuple[list[str], list[str]]:
    """When the customer wrote, and when the customer got an agent's reply. A survey rating (a
    `rating` event names its message) is no customer message: it starts no clock."""
    automatic_replies, refused = _reply_fates(events)
    ratings = {
        json.loads(data)["message"]
        for _tid, _id, _at, _actor, kind, data, undone_by in events
        if kind == "rating" and undone_by is None
    }
    customers: list[str] = []
    agents: list[str] = []
    for _tid, message_id, direction, automatic, sent_at, received_at in messages:
        moment = min(sent_at, received_at)
        if automatic:
            continue
        if direction == "in" and message_id not in ratings:
            customers.append(moment)
        elif direction == "out" and message_id not in automatic_replies:
            if message_id in refused:
                delivered = refused[message_id]
                if delivered is None:
                    continue
                moment = max(moment, delivered)
            agents.append(moment)
    return customers, agents


def history_from_rows(
    ticket: Sequence, messages: Iterable[Sequence], events: Iterable[Sequence]
) -> rules.History:
    """Digest a ticket's rows (shapes as TICKET_COLUMNS etc.) into what the clock rules read.

    Undone events are skipped. A message counts from when it was sent, but never from later
    than when we received it (a sender's clock cannot push a deadline into the future). A reply
    the channel refused answers nobody: it does not count, and if it is delivered after all (a
    retry), it counts from its delivery.
    """
    _, status, _, _, _, snoozed_until, created_at, updated_at = ticket[:8]
    events = list(events)
    created = created_at
    statuses: list[tuple[str, str]] = []
    snoozes: list[tuple[str, str | None]] = []
    for _tid, _id, at, _actor, kind, data, undone_by in events:
        if undone_by is not None:
            continue
        if kind == "created":
            created = min(created, at)
        elif kind == "status":
            statuses.append((at, json.loads(data)["after"]))
        elif kind == "snooze":
            snoozes.append((at, json.loads(data)["after"]))
    customers, agents = _message_moments(messages, events)
    # Store text sorts like time; stable sorting keeps event order within one second.
    statuses.sort(key=lambda s: s[0])
    snoozes.sort(key=lambda s: s[0])
    # Some writes (a merge closing its source) change the row without a status event of its own.
    derived = statuses[-1][1] if statuses else "new"
    if _category(derived) != _category(status):
        statuses.append((max(updated_at, statuses[-1][0] if statuses else created), status))
    if (snoozes[-1][1] if snoozes else None) != snoozed_until:
        snoozes.append((max(updated_at, snoozes[-1][0] if snoozes else created), snoozed_until))
    return rules.History(
        created=from_iso(created),
        customer_messages=tuple(from_iso(m) for m in sorted(customers)),
        agent_replies=tuple(from_iso(m) for m in sorted(agents)),
        statuses=tuple((from_iso(at), s) for at, s in statuses),
        snoozes=tuple((from_iso(at), from_iso(u) if u else None) for at, u in snoozes),
    )
