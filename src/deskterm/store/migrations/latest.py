"""The newest migrations (V24 on): the bulk change's batches, the drafts' Cc and files, the
team replica's notes of changed shared records.

New migrations are appended here, with the next version number."""

from __future__ import annotations

# A bulk change (deskterm.actions.bulk) marks its events with {"batch": id}: undo finds them all.
V24_EVENT_BATCHES = """
CREATE INDEX events_batch ON events(json_extract(data, '$.batch'))
  WHERE json_extract(data, '$.batch') IS NOT NULL;
"""

# A reply's draft keeps its Cc addresses (comma-separated) and attached files (JSON list of
# domain.Attachment) with its text, so they outlive leaving the ticket or a restart.
V25_DRAFT_CC_FILES = """
ALTER TABLE drafts ADD COLUMN cc TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
"""

# A team replica's records changed here and not yet on the server (deskterm.team.records): which
# order, account or sync cursor, by its local key. Triggers note every write,
# whoever makes it, but only in a team replica (one with a server in meta). (Not INSERT OR IGNORE:
# an upsert's own conflict handling overrides a trigger's.)
V26_TEAM_RECORDS = """
CREATE TABLE team_changed (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TRIGGER team_changed_order_ai AFTER INSERT ON orders
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT INTO team_changed SELECT 'order', CAST(new.id AS TEXT)
        WHERE NOT EXISTS (SELECT 1 FROM team_changed
            WHERE kind = 'order' AND key = CAST(new.id AS TEXT));
END;
CREATE TRIGGER team_changed_order_au AFTER UPDATE ON orders
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT INTO team_changed SELECT 'order', CAST(new.id AS TEXT)
        WHERE NOT EXISTS (SELECT 1 FROM team_changed
            WHERE kind = 'order' AND key = CAST(new.id AS TEXT));
END;
CREATE TRIGGER team_changed_account_ai AFTER INSERT ON accounts
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT INTO team_changed SELECT 'account', new.name
        WHERE NOT EXISTS (SELECT 1 FROM team_changed WHERE kind = 'account' AND key = new.name);
END;
CREATE TRIGGER team_changed_account_au AFTER UPDATE ON accounts
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT INTO team_changed SELECT 'account', new.name
        WHERE NOT EXISTS (SELECT 1 FROM team_changed WHERE kind = 'account' AND key = new.name);
END;
CREATE TRIGGER team_changed_cursor_ai AFTER INSERT ON sync_state
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT INTO team_changed SELECT 'cursor', json_array(new.account, new.folder)
        WHERE NOT EXISTS (SELECT 1 FROM team_changed
            WHERE kind = 'cursor' AND key = json_array(new.account, new.folder));
END;
CREATE TRIGGER team_changed_cursor_au AFTER UPDATE ON sync_state
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT INTO team_changed SELECT 'cursor', json_array(new.account, new.folder)
        WHERE NOT EXISTS (SELECT 1 FROM team_changed
            WHERE kind = 'cursor' AND key = json_array(new.account, new.folder));
END;
"""

SCRIPTS: list[tuple[int, str]] = [
    (24, V24_EVENT_BATCHES),
    (25, V25_DRAFT_CC_FILES),
    (26, V26_TEAM_RECORDS),
]
