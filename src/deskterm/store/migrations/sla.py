"""SLA clocks kept in the store and the first tuning of writes (V3-V7): clock columns, leaner
indexes, unsettled tickets, mailbox changes, full-text rows per batch."""

from __future__ import annotations

V3_SLA = """
-- When the nearest active SLA clock turns to warning, and the next moment its state changes by
-- time alone (warning, breach, end of a snooze), so a periodic tick finds those rows by index.
ALTER TABLE tickets ADD COLUMN warn_at TEXT;
ALTER TABLE tickets ADD COLUMN sla_recheck_at TEXT;
CREATE INDEX tickets_sla_recheck ON tickets(sla_recheck_at) WHERE sla_recheck_at IS NOT NULL;
-- One sla_breach event per clock, even when two processes notice the breach.
CREATE UNIQUE INDEX events_sla_breach_once
    ON events(ticket_id, json_extract(data, '$.clock'), json_extract(data, '$.started'))
    WHERE kind = 'sla_breach';
"""

V4_LEANER_INDEXES = """
-- Every index costs each insert and update. Nothing reads tickets by updated_at or events by
-- kind alone, and only marketplace tickets carry a conversation id.
DROP INDEX tickets_updated;
DROP INDEX events_kind;
DROP INDEX tickets_conversation;
CREATE INDEX tickets_conversation ON tickets(account, conversation_id)
    WHERE conversation_id IS NOT NULL;
"""

V5_SLA_UNSETTLED = """
-- Tickets whose SLA columns are out of date. An import or a sync pass notes the tickets it
-- touched here and settles them all at its end, instead of evaluating the clocks after every
-- batch; if it crashes first, the next clock tick settles them.
CREATE TABLE sla_unsettled (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE
);
"""

V6_MAILBOX_CHANGES = """
-- What an account's own mailbox should follow once the sync engine reaches it: a message an agent
-- read marked seen, a solved conversation moved to the archive folder (both opt-in per account).
-- Queued in the transaction that read or solved the ticket; `done` once the server has it.
CREATE TABLE mailbox_changes (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    message_row INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    change TEXT NOT NULL CHECK (change IN ('seen', 'archive')),
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'cancelled')),
    created_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (message_row, change)
);
CREATE INDEX mailbox_changes_queued ON mailbox_changes(account, id) WHERE status = 'queued';
"""

V7_FTS_PER_BATCH = """
-- Messages reach the full-text index through store.index_messages, one statement per batch:
-- through this trigger, FTS5 took most of the cost of storing a message (61 us of 81 per row,
-- against about 21 us in one statement per batch). Updates and deletes keep their triggers.
DROP TRIGGER messages_ai;
"""

SCRIPTS: list[tuple[int, str]] = [
    (3, V3_SLA),
    (4, V4_LEANER_INDEXES),
    (5, V5_SLA_UNSETTLED),
    (6, V6_MAILBOX_CHANGES),
    (7, V7_FTS_PER_BATCH),
]
