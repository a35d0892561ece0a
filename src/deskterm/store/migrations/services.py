"""The services' own tables (V15-V20): automation's rule firings, the knowledge base, KPI records,
triage, team mode, the knowledge index's full-text rows per write."""

from __future__ import annotations

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

SCRIPTS: list[tuple[int, str]] = [
    (15, V15_RULE_FIRINGS),
    (16, V16_KNOWLEDGE),
    (17, V17_METRIC_RECORDS),
    (18, V18_TRIAGE),
    (19, V19_TEAM),
    (20, V20_KB_FTS_PER_WRITE),
]
