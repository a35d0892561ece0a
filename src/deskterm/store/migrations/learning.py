"""What deskterm learns from use (V22, V23): triage's lessons from tagged tickets, where each macro
was used."""

from __future__ import annotations

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

SCRIPTS: list[tuple[int, str]] = [
    (22, V22_TRIAGE_LESSONS),
    (23, V23_MACRO_USES),
]
