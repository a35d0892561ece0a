"""The channels' orders and what came with them (V8-V14): order detail and promises, connector
calls, search indexes, outbox leases, content hashes, on-demand order fetches."""

from __future__ import annotations

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

SCRIPTS: list[tuple[int, str]] = [
    (8, V8_ORDER_DETAIL),
    (9, V9_ORDER_PROMISES),
    (10, V10_CONNECTOR_CALLS),
    (11, V11_SEARCH_INDEXES),
    (12, V12_OUTBOX_LEASES),
    (13, V13_CONTENT_HASH),
    (14, V14_ORDER_FETCHES),
]
