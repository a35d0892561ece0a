"""The store's schema as an ordered list of migrations, applied by PRAGMA user_version.

Append new migrations at the end; never edit one that has shipped, since databases in the field
have already run it.
"""

from __future__ import annotations

from deskterm.store.kpi_schema import V21_KPI_CACHE
from deskterm.store.later_schema import V24_EVENT_BATCHES, V25_DRAFT_CC_FILES

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

V8_ORDER_DETAIL = """
-- Orders in full for every channel: payment state, note and tags, the shipping address,
-- fulfillments (carrier, number, URL, delivery state) and refunds as JSON lists, the channel's
-- pages for the order, and the channel's own customer id and last change (the pull cursor).
ALTER TABLE orders ADD COLUMN financial_status TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE orders ADD COLUMN shipping_address TEXT;
ALTER TABLE orders ADD COLUMN fulfillments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE orders ADD COLUMN refunds TEXT NOT NULL DEFAULT '[]';
ALTER TABLE orders ADD COLUMN status_url TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN admin_url TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN customer_ref TEXT;
ALTER TABLE orders ADD COLUMN changed_at TEXT;

-- Every email address, phone number or handle an order names its buyer by: a customer sees the
-- orders of all their identities, even ones first seen on another customer row.
CREATE TABLE order_identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value, order_id)
) WITHOUT ROWID;
CREATE INDEX order_identities_order ON order_identities(order_id);

-- A customer as one account knows them, with the lifetime figures that account keeps.
CREATE TABLE customer_profiles (
    account TEXT NOT NULL,
    external_id TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    name TEXT NOT NULL DEFAULT '',
    orders_count INTEGER NOT NULL DEFAULT 0,
    amount_spent TEXT NOT NULL DEFAULT '0.00',
    currency TEXT NOT NULL DEFAULT 'USD',
    tags TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    admin_url TEXT NOT NULL DEFAULT '',
    changed_at TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, external_id)
);
CREATE INDEX customer_profiles_customer ON customer_profiles(customer_id);
"""

V9_ORDER_PROMISES = """
-- What a marketplace promised the buyer: ship by, deliver by (Amazon's latest moments).
ALTER TABLE orders ADD COLUMN ship_by TEXT;
ALTER TABLE orders ADD COLUMN deliver_by TEXT;
"""

# Connector actions (refund, cancel, ...) as intents with their outcome: the network call runs
# between two short transactions, and the stable idempotency key makes a retry after a crash safe.
# status: proposed (by a rule, waiting for a person), queued (to be retried), running (called
# under a lease until lease_until), done, failed (the channel refused), uncertain (a person must
# check the channel), dismissed.
V10_CONNECTOR_CALLS = """
CREATE TABLE connector_calls (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    confirmed_by TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    lease_until TEXT,
    next_attempt_at TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    result TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX connector_calls_ticket ON connector_calls(ticket_id, id);
CREATE INDEX connector_calls_due ON connector_calls(status, next_attempt_at);
"""

V11_SEARCH_INDEXES = """
-- Every term of the search language finds its tickets through an index (store.filters; the
-- plans are checked in tests/unit/test_query_plans.py). Rare states get partial indexes, which
-- cost nothing for the tickets outside them.
CREATE INDEX tickets_account ON tickets(account);
CREATE INDEX tickets_priority ON tickets(priority);
CREATE INDEX tickets_sla_state ON tickets(sla_state);
CREATE INDEX tickets_created ON tickets(created_at);
CREATE INDEX tickets_last_message ON tickets(last_message_at);
CREATE INDEX tickets_escalated ON tickets(escalation) WHERE escalation > 0;
CREATE INDEX tickets_snoozed ON tickets(snoozed_until) WHERE snoozed_until IS NOT NULL;
CREATE INDEX tickets_merged ON tickets(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX tickets_order ON tickets(order_id) WHERE order_id IS NOT NULL;

-- from: matches words of a customer's name or of any identity (email address, marketplace
-- user) by prefix: full-text indexes over both, kept by triggers (a name or an identity value
-- never changes after it is written, except a customer's name, rarely).
CREATE VIRTUAL TABLE customers_fts USING fts5(
    name, content='customers', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO customers_fts(rowid, name) SELECT id, name FROM customers;
CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts(rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER customers_fts_au AFTER UPDATE OF name ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO customers_fts(rowid, name) VALUES (new.id, new.name);
END;
CREATE VIRTUAL TABLE identities_fts USING fts5(
    value, content='identities', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO identities_fts(rowid, value) SELECT id, value FROM identities;
CREATE TRIGGER identities_fts_ai AFTER INSERT ON identities BEGIN
    INSERT INTO identities_fts(rowid, value) VALUES (new.id, new.value);
END;
CREATE TRIGGER identities_fts_ad AFTER DELETE ON identities BEGIN
    INSERT INTO identities_fts(identities_fts, rowid, value) VALUES ('delete', old.id, old.value);
END;
CREATE TRIGGER identities_fts_au AFTER UPDATE OF value ON identities BEGIN
    INSERT INTO identities_fts(identities_fts, rowid, value) VALUES ('delete', old.id, old.value);
    INSERT INTO identities_fts(rowid, value) VALUES (new.id, new.value);
END;
"""

V12_OUTBOX_LEASES = """
-- A reply being sent is held under a lease by one live sending pass (store.outbox): its owner,
-- the wall-clock second the lease ends, and how far the holder got ('claimed': nothing handed
-- to the channel yet; 'handing': the channel may have it). Rows a crash left in `sending`
-- before leases existed may have reached the channel.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until REAL;
ALTER TABLE outbox ADD COLUMN stage TEXT;
UPDATE outbox SET stage = 'handing' WHERE status = 'sending';
"""

V13_CONTENT_HASH = """
-- What makes two mails the same mail whichever way they came (ingest.content_hash): a mail that
-- shares a Message-ID with a stored one but not this is a different mail and is kept. Rows from
-- before it count as the same as anything with their Message-ID.
ALTER TABLE messages ADD COLUMN content_hash TEXT;
"""

V14_ORDER_FETCHES = """
-- When each account last fetched one customer's orders on demand (a ticket was opened), so
-- opening it again soon does not ask the shop again.
CREATE TABLE order_fetches (
    account TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (account, customer_id)
) WITHOUT ROWID;
"""

# Time rules fire once per ticket until a change re-arms them (deskterm.automation): event_id is
# the ticket's last event when the rule fired; a later event by anyone but a rule re-arms it.
V15_RULE_FIRINGS = """
CREATE TABLE rule_firings (
    rule TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    event_id INTEGER NOT NULL,
    fired_at TEXT NOT NULL,
    PRIMARY KEY (rule, ticket_id)
);
CREATE INDEX rule_firings_ticket ON rule_firings(ticket_id);
"""

# The knowledge base's index (deskterm.kb): one row per article file, found again by its file's
# size and modification time so that a start re-reads only what changed; `data` is the article as
# parsed (sections, links, steps). SOP checklist ticks are state like tags: one row per ticked step,
# written with its sop_tick event by actions.
V16_KNOWLEDGE = """
CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    title TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL
);
CREATE VIRTUAL TABLE kb_fts USING fts5(
    title, keywords, body, content='kb_articles', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER kb_fts_ai AFTER INSERT ON kb_articles BEGIN
    INSERT INTO kb_fts(rowid, title, keywords, body) VALUES (new.id, new.title, new.keywords, new.body);
END;
CREATE TRIGGER kb_fts_ad AFTER DELETE ON kb_articles BEGIN
    INSERT INTO kb_fts(kb_fts, rowid, title, keywords, body)
    VALUES ('delete', old.id, old.title, old.keywords, old.body);
END;
CREATE TRIGGER kb_fts_au AFTER UPDATE ON kb_articles BEGIN
    INSERT INTO kb_fts(kb_fts, rowid, title, keywords, body)
    VALUES ('delete', old.id, old.title, old.keywords, old.body);
    INSERT INTO kb_fts(rowid, title, keywords, body) VALUES (new.id, new.title, new.keywords, new.body);
END;

CREATE TABLE sop_ticks (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    sop TEXT NOT NULL,
    step INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (ticket_id, sop, step)
) WITHOUT ROWID;
"""

V17_METRIC_RECORDS = """
-- Events that record without changing the ticket (the TUI's handle time, survey ratings) are
-- found by kind and moment for a period's KPIs (store.metrics) without scanning every event.
CREATE INDEX events_records ON events(kind, at) WHERE kind IN ('handled', 'rating');
"""

# Offline triage (deskterm.triage) of each customer message: language, intent, mood and a
# sentiment score; the ticket keeps the customer's language, the intent the conversation is about
# (a later "thanks" does not replace it) and the mood of their latest message. NULL: not read yet
# (`deskterm triage backfill` reads messages stored before this).
V18_TRIAGE = """
ALTER TABLE messages ADD COLUMN lang TEXT;
ALTER TABLE messages ADD COLUMN intent TEXT;
ALTER TABLE messages ADD COLUMN mood TEXT;
ALTER TABLE messages ADD COLUMN sentiment REAL;
ALTER TABLE tickets ADD COLUMN lang TEXT;
ALTER TABLE tickets ADD COLUMN intent TEXT;
ALTER TABLE tickets ADD COLUMN mood TEXT;
"""

# Team mode (deskterm.team): a replica of a workspace shared through PostgreSQL. Events get a
# stable id (uid) when first pushed, and the server's global order (seq), the database role that
# wrote them (author) and, when a change overrode one the writer had not seen, whose (overrode).
# Tickets and customers get a global id (gid); messages already have one: (account, external_id).
# The replica's place in the log (what was pushed, what was pulled) is kept in meta.
V19_TEAM = """
ALTER TABLE events ADD COLUMN uid TEXT;
ALTER TABLE events ADD COLUMN seq INTEGER;
ALTER TABLE events ADD COLUMN author TEXT;
ALTER TABLE events ADD COLUMN overrode TEXT;
CREATE UNIQUE INDEX events_uid ON events(uid) WHERE uid IS NOT NULL;
ALTER TABLE tickets ADD COLUMN gid TEXT;
CREATE UNIQUE INDEX tickets_gid ON tickets(gid) WHERE gid IS NOT NULL;
ALTER TABLE customers ADD COLUMN gid TEXT;
CREATE UNIQUE INDEX customers_gid ON customers(gid) WHERE gid IS NOT NULL;
"""

# The knowledge index's full-text rows are written by store.knowledge.write_articles, one statement
# per refresh, instead of a trigger per article (like V7 for messages: indexing 5,000 articles
# took 0.95 s of SQL through the triggers, 0.45 s this way). Deleting an article still removes its
# full-text row through kb_fts_ad.
V20_KB_FTS_PER_WRITE = """
DROP TRIGGER kb_fts_ai;
DROP TRIGGER kb_fts_au;
"""

# What triage learned from tickets people tagged with an intent (deskterm.triage.teach): each
# ticket's features, kept so an untag takes back exactly what it taught, and the counts per
# feature and intent the model reads. `version` changes with every change to them.
V22_TRIAGE_LESSONS = """
CREATE TABLE triage_lessons (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    intent TEXT NOT NULL,
    features TEXT NOT NULL
);
CREATE TABLE triage_words (
    feature TEXT NOT NULL,
    intent TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (feature, intent)
) WITHOUT ROWID;
CREATE TABLE triage_model (version INTEGER NOT NULL);
INSERT INTO triage_model (version) VALUES (0);
"""

# Where each macro was used (deskterm.store.macro_uses): the customer's words it answered and
# the ticket's intent then, one row per ticket and macro, indexed for bm25, with how many rows
# hold each word (the vocabulary); `last_event` is the last event the index has seen.
V23_MACRO_USES = """
CREATE TABLE macro_uses (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    macro TEXT NOT NULL,
    intent TEXT,
    words TEXT NOT NULL,
    UNIQUE (ticket_id, macro)
);
CREATE INDEX macro_uses_intent ON macro_uses(intent, macro);
CREATE VIRTUAL TABLE macro_uses_fts USING fts5(
    words, content='macro_uses', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE macro_uses_vocab USING fts5vocab(macro_uses_fts, 'row');
CREATE TRIGGER macro_uses_ai AFTER INSERT ON macro_uses BEGIN
    INSERT INTO macro_uses_fts(rowid, words) VALUES (new.id, new.words);
END;
CREATE TRIGGER macro_uses_ad AFTER DELETE ON macro_uses BEGIN
    INSERT INTO macro_uses_fts(macro_uses_fts, rowid, words) VALUES ('delete', old.id, old.words);
END;
CREATE TABLE macro_uses_state (last_event INTEGER NOT NULL);
INSERT INTO macro_uses_state (last_event) VALUES (0);
"""

# Each entry is one SQL script; its position (1-based) is the user_version it brings the file to.
MIGRATIONS: list[str] = [
    V1_CORE,
    V2_DRAFTS,
    V3_SLA,
    V4_LEANER_INDEXES,
    V5_SLA_UNSETTLED,
    V6_MAILBOX_CHANGES,
    V7_FTS_PER_BATCH,
    V8_ORDER_DETAIL,
    V9_ORDER_PROMISES,
    V10_CONNECTOR_CALLS,
    V11_SEARCH_INDEXES,
    V12_OUTBOX_LEASES,
    V13_CONTENT_HASH,
    V14_ORDER_FETCHES,
    V15_RULE_FIRINGS,
    V16_KNOWLEDGE,
    V17_METRIC_RECORDS,
    V18_TRIAGE,
    V19_TEAM,
    V20_KB_FTS_PER_WRITE,
    V21_KPI_CACHE,
    V22_TRIAGE_LESSONS,
    V23_MACRO_USES,
    V24_EVENT_BATCHES,
    V25_DRAFT_CC_FILES,
]
