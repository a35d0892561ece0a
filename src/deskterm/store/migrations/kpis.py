"""The KPI cache's tables and triggers (V21)."""

from __future__ import annotations

# The KPIs' per-ticket cache (deskterm.metrics.cache): what each ticket's history says for the
# figures, computed once in Python (the SLA history, business hours, clocks) and then summed over
# in SQL. A ticket's rows are dropped by the triggers below whenever something they were computed
# from changes (an event, a message's moment or direction, a tag, the ticket row), so a report
# recomputes only those tickets. kpi_tickets.valid_from/valid_until bound the moments `now` at
# which the ticket's SLA clock outcomes hold (a running clock breaches later with no event).
# kpi_spans holds the timed facts of a ticket, one kind per row (see metrics.cache for each kind).
V21_KPI_CACHE = """
CREATE TABLE kpi_tickets (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    created TEXT NOT NULL,
    replies INTEGER NOT NULL,
    handled INTEGER NOT NULL,
    done_since TEXT,
    valid_from TEXT NOT NULL,
    valid_until TEXT
);
CREATE INDEX kpi_tickets_created ON kpi_tickets(created);
CREATE TABLE kpi_spans (
    ticket_id INTEGER NOT NULL REFERENCES kpi_tickets(ticket_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    value,
    business,
    label TEXT,
    PRIMARY KEY (ticket_id, kind, seq)
) WITHOUT ROWID;
CREATE INDEX kpi_spans_at ON kpi_spans(kind, at);
CREATE TRIGGER kpi_events_ai AFTER INSERT ON events BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = new.ticket_id;
END;
CREATE TRIGGER kpi_events_au AFTER UPDATE OF ticket_id, at, actor, kind, data, undone_by
    ON events BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id IN (old.ticket_id, new.ticket_id);
END;
CREATE TRIGGER kpi_events_ad AFTER DELETE ON events BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = old.ticket_id;
END;
CREATE TRIGGER kpi_messages_ai AFTER INSERT ON messages BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = new.ticket_id;
END;
CREATE TRIGGER kpi_messages_au AFTER UPDATE OF ticket_id, direction, automatic, sent_at,
    created_at ON messages BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id IN (old.ticket_id, new.ticket_id);
END;
CREATE TRIGGER kpi_messages_ad AFTER DELETE ON messages BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = old.ticket_id;
END;
CREATE TRIGGER kpi_tags_ai AFTER INSERT ON ticket_tags BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = new.ticket_id;
END;
CREATE TRIGGER kpi_tags_au AFTER UPDATE ON ticket_tags BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id IN (old.ticket_id, new.ticket_id);
END;
CREATE TRIGGER kpi_tags_ad AFTER DELETE ON ticket_tags BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = old.ticket_id;
END;
CREATE TRIGGER kpi_tickets_au AFTER UPDATE OF status, priority, channel, account, snoozed_until,
    created_at, updated_at, customer_id, merged_into ON tickets BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = new.id;
END;
"""

SCRIPTS: list[tuple[int, str]] = [
    (21, V21_KPI_CACHE),
]
