"""The first schema (V1, V2): accounts, customers, tickets, messages, events, outbox, orders,
their full-text indexes, and drafts."""

from __future__ import annotations

V1_CORE = """
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    connector TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{}',
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX identities_customer ON identities(customer_id);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    external_id TEXT NOT NULL,
    number TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    fulfillment_status TEXT NOT NULL DEFAULT '',
    total TEXT NOT NULL DEFAULT '0.00',
    currency TEXT NOT NULL DEFAULT 'USD',
    placed_at TEXT NOT NULL,
    carrier TEXT NOT NULL DEFAULT '',
    tracking_number TEXT NOT NULL DEFAULT '',
    tracking_url TEXT NOT NULL DEFAULT '',
    items TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL,
    UNIQUE (account, external_id)
);
CREATE INDEX orders_customer ON orders(customer_id, placed_at);
CREATE INDEX orders_number ON orders(number);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    account TEXT NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'new',
    priority TEXT NOT NULL DEFAULT 'normal',
    escalation INTEGER NOT NULL DEFAULT 0,
    assignee TEXT,
    snoozed_until TEXT,
    next_deadline TEXT,
    sla_state TEXT NOT NULL DEFAULT '',
    conversation_id TEXT,
    order_id INTEGER REFERENCES orders(id) ON DELETE SET NULL,
    merged_into INTEGER REFERENCES tickets(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_message_at TEXT NOT NULL
);
-- The queue: nearest deadline first (tickets without one last), then oldest.
-- Keyset paging walks this index; see store.queries.queue_page.
CREATE INDEX tickets_queue
    ON tickets(COALESCE(next_deadline, '9999'), created_at, id)
    WHERE status NOT IN ('solved', 'closed');
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_customer ON tickets(customer_id, created_at);
CREATE INDEX tickets_assignee ON tickets(assignee, status);
CREATE INDEX tickets_channel ON tickets(channel, status);
CREATE INDEX tickets_conversation ON tickets(account, conversation_id);
CREATE INDEX tickets_updated ON tickets(updated_at);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_tag ON ticket_tags(tag, ticket_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    account TEXT NOT NULL,
    external_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    author_name TEXT NOT NULL DEFAULT '',
    author_addr TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    html TEXT,
    message_id TEXT,
    in_reply_to TEXT,
    refs TEXT NOT NULL DEFAULT '',
    automatic INTEGER NOT NULL DEFAULT 0,
    attachments TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    raw_path TEXT,
    sent_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (account, external_id)
);
CREATE INDEX messages_ticket ON messages(ticket_id, sent_at);
CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, text, author_name, author_addr,
    content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, subject, text, author_name, author_addr)
    VALUES (new.id, new.subject, new.text, new.author_name, new.author_addr);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, subject, text, author_name, author_addr)
    VALUES ('delete', old.id, old.subject, old.text, old.author_name, old.author_addr);
END;
CREATE TRIGGER messages_au AFTER UPDATE OF subject, text, author_name, author_addr
    ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, subject, text, author_name, author_addr)
    VALUES ('delete', old.id, old.subject, old.text, old.author_name, old.author_addr);
    INSERT INTO messages_fts(rowid, subject, text, author_name, author_addr)
    VALUES (new.id, new.subject, new.text, new.author_name, new.author_addr);
END;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    undone_by INTEGER REFERENCES events(id)
);
CREATE INDEX events_ticket ON events(ticket_id, id);
CREATE INDEX events_actor ON events(actor, id);
CREATE INDEX events_kind ON events(kind, at);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    message_row INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    account TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    external_id TEXT,
    last_error TEXT,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE sync_state (
    account TEXT NOT NULL,
    folder TEXT NOT NULL DEFAULT '',
    cursor TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, folder)
);

CREATE TABLE sync_status (
    account TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    pulled INTEGER NOT NULL DEFAULT 0,
    sent INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

V2_DRAFTS = """
-- What an agent is typing, saved as they type so nothing is lost (quit, crash, switch ticket).
-- Drafts are not ticket changes: no events, and they vanish with their ticket.
CREATE TABLE drafts (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('reply', 'note')),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, kind)
) WITHOUT ROWID;
"""

SCRIPTS: list[tuple[int, str]] = [
    (1, V1_CORE),
    (2, V2_DRAFTS),
]
