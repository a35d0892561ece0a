"""The newest migrations (V24 on): the bulk change's batches, the drafts' Cc and files, the
team replica's notes of changed shared records, the KPIs' per-day totals, the rules' skipped
actions, the calls other replicas of a team made.

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

# The KPIs' per-day totals (deskterm.metrics.daily): every cached span counted once into
# kpi_days (and into kpi_months, the same summed per month, so a long period reads few rows) under
# its local day (`day`, in the zone the cache was computed for), its kind, its
# label where the figures read one per label (`lab`: a clock's kind, a survey, an agent, a channel,
# a tag, an intent), its column (`col` 0 the value, 1 the business seconds) and its bucket (fixed
# log-spaced buckets of durations; a clock's 0/1, a rating's score, a ticket's hour of creation).
# kpi_parts says what a span counts as; the triggers keep kpi_days and kpi_months equal to the
# sums of kpi_parts over kpi_spans, whoever writes or deletes spans; spans are never updated in
# place. A total brought back to 0 stays as a row with n = 0 (readers skip it):
# removing it would cost every dropped ticket more than the row does.
# kpi_dirty: every ticket with no cached rows (new, or dropped since), so that a report finds
# what to compute without reading every ticket; merged-away tickets are taken out when found.
# kpi_spans no longer goes with its kpi_tickets row (no cascade): a change to a ticket drops that
# one row and marks it dirty, and its spans (and what they add to the totals) stay until the next
# report computes the ticket again and replaces them (store.kpi_cache.write), so that a write to
# a ticket does not pay for taking its spans out of the totals.
# kpi_recontact_*: a ticket opened by a customer on a channel is a re-contact for their one-touch
# solves there in the three days before it, so those tickets are computed again (the customer's
# tickets first: the unary + keeps the planner off the channel's and the moments' indexes).
V27_KPI_DAYS = """
DROP TABLE kpi_spans;
DELETE FROM kpi_tickets;
CREATE TABLE kpi_spans (
    ticket_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    value,
    business,
    label TEXT,
    day TEXT NOT NULL,
    bucket INTEGER,
    bbucket INTEGER,
    PRIMARY KEY (ticket_id, kind, seq)
) WITHOUT ROWID;
CREATE INDEX kpi_spans_at ON kpi_spans(kind, at);
CREATE INDEX kpi_spans_resolve ON kpi_spans(at) WHERE kind = 'solve' AND seq > 0;
CREATE INDEX kpi_tickets_done ON kpi_tickets(done_since);
CREATE INDEX kpi_tickets_valid_from ON kpi_tickets(valid_from);
CREATE INDEX kpi_tickets_valid_until ON kpi_tickets(valid_until);
CREATE TABLE kpi_dirty (ticket_id INTEGER PRIMARY KEY);
INSERT INTO kpi_dirty SELECT id FROM tickets WHERE merged_into IS NULL;
CREATE TRIGGER kpi_dirty_new AFTER INSERT ON tickets BEGIN
    INSERT OR IGNORE INTO kpi_dirty VALUES (new.id);
END;
CREATE TRIGGER kpi_dirty_unmerged AFTER UPDATE OF merged_into ON tickets
    WHEN new.merged_into IS NULL BEGIN
    INSERT OR IGNORE INTO kpi_dirty VALUES (new.id);
END;
CREATE TRIGGER kpi_dirty_dropped AFTER DELETE ON kpi_tickets BEGIN
    INSERT OR IGNORE INTO kpi_dirty VALUES (old.ticket_id);
END;
CREATE TABLE kpi_days (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    lab TEXT NOT NULL,
    col INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    total NOT NULL,
    PRIMARY KEY (day, kind, lab, col, bucket)
) WITHOUT ROWID;
CREATE TABLE kpi_months (
    month TEXT NOT NULL,
    kind TEXT NOT NULL,
    lab TEXT NOT NULL,
    col INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    total NOT NULL,
    PRIMARY KEY (month, kind, lab, col, bucket)
) WITHOUT ROWID;
CREATE VIEW kpi_parts (ticket_id, kind, seq, at, day, lab, col, bucket, total) AS
    SELECT ticket_id, kind, seq, at, day,
        CASE WHEN kind IN ('created', 'created_tag', 'created_intent', 'clock', 'rating',
            'handled') THEN COALESCE(label, '') ELSE '' END,
        0, COALESCE(bucket, 0), COALESCE(value, 0)
    FROM kpi_spans WHERE kind NOT IN ('status', 'reopen')
        AND NOT (kind = 'final_solve' AND label IS NOT NULL)
    UNION ALL
    SELECT ticket_id, kind, seq, at, day, '', 1, bbucket, business
    FROM kpi_spans WHERE bbucket IS NOT NULL AND NOT (kind = 'final_solve' AND label IS NOT NULL);
CREATE TRIGGER kpi_days_ai AFTER INSERT ON kpi_spans
    WHEN new.kind NOT IN ('status', 'reopen') BEGIN
    INSERT INTO kpi_days (day, kind, lab, col, bucket, n, total)
    SELECT day, kind, lab, col, bucket, 1, total FROM kpi_parts
    WHERE ticket_id = new.ticket_id AND kind = new.kind AND seq = new.seq
    ON CONFLICT DO UPDATE SET n = n + excluded.n, total = total + excluded.total;
    INSERT INTO kpi_months (month, kind, lab, col, bucket, n, total)
    SELECT substr(day, 1, 7), kind, lab, col, bucket, 1, total FROM kpi_parts
    WHERE ticket_id = new.ticket_id AND kind = new.kind AND seq = new.seq
    ON CONFLICT DO UPDATE SET n = n + excluded.n, total = total + excluded.total;
END;
CREATE TRIGGER kpi_days_bd BEFORE DELETE ON kpi_spans
    WHEN old.kind NOT IN ('status', 'reopen') BEGIN
    INSERT INTO kpi_days (day, kind, lab, col, bucket, n, total)
    SELECT day, kind, lab, col, bucket, -1, -total FROM kpi_parts
    WHERE ticket_id = old.ticket_id AND kind = old.kind AND seq = old.seq
    ON CONFLICT DO UPDATE SET n = n + excluded.n, total = total + excluded.total;
    INSERT INTO kpi_months (month, kind, lab, col, bucket, n, total)
    SELECT substr(day, 1, 7), kind, lab, col, bucket, -1, -total FROM kpi_parts
    WHERE ticket_id = old.ticket_id AND kind = old.kind AND seq = old.seq
    ON CONFLICT DO UPDATE SET n = n + excluded.n, total = total + excluded.total;
END;
CREATE TRIGGER kpi_spans_bu BEFORE UPDATE ON kpi_spans BEGIN
    SELECT RAISE(ABORT, 'kpi_spans rows are replaced (deleted and inserted), never updated');
END;
CREATE TRIGGER kpi_recontact_ai AFTER INSERT ON tickets BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id IN (SELECT s.ticket_id FROM tickets t
        CROSS JOIN kpi_spans s ON s.ticket_id = t.id AND s.kind = 'solve_one'
        WHERE t.customer_id = new.customer_id AND +t.channel = new.channel AND t.id <> new.id
        AND +s.at < new.created_at
        AND +s.at >= strftime('%Y-%m-%dT%H:%M:%SZ', new.created_at, '-3 days'));
END;
CREATE TRIGGER kpi_recontact_au AFTER UPDATE OF customer_id, channel, created_at ON tickets BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id IN (SELECT s.ticket_id FROM tickets t
        CROSS JOIN kpi_spans s ON s.ticket_id = t.id AND s.kind = 'solve_one'
        WHERE t.customer_id = new.customer_id AND +t.channel = new.channel
        AND +s.at < new.created_at
        AND +s.at >= strftime('%Y-%m-%dT%H:%M:%SZ', new.created_at, '-3 days'));
    DELETE FROM kpi_tickets WHERE ticket_id IN (SELECT s.ticket_id FROM tickets t
        CROSS JOIN kpi_spans s ON s.ticket_id = t.id AND s.kind = 'solve_one'
        WHERE t.customer_id = old.customer_id AND +t.channel = old.channel
        AND +s.at < old.created_at
        AND +s.at >= strftime('%Y-%m-%dT%H:%M:%SZ', old.created_at, '-3 days'));
END;
CREATE TRIGGER kpi_recontact_ad AFTER DELETE ON tickets BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id IN (SELECT s.ticket_id FROM tickets t
        CROSS JOIN kpi_spans s ON s.ticket_id = t.id AND s.kind = 'solve_one'
        WHERE t.customer_id = old.customer_id AND +t.channel = old.channel
        AND +s.at < old.created_at
        AND +s.at >= strftime('%Y-%m-%dT%H:%M:%SZ', old.created_at, '-3 days'));
END;
CREATE TRIGGER kpi_intent_au AFTER UPDATE OF intent, assignee ON tickets BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = new.id;
END;
"""

# Why a rule's action did nothing on a ticket when the rule fired (a cap, a loop guard, nobody
# online; deskterm.automation.acting), for `rules explain`: the latest reason per ticket, rule and
# action, with its moment.
V28_RULE_SKIPS = """
CREATE TABLE rule_skips (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    rule TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, rule, action)
) WITHOUT ROWID;
"""

# A connector call another replica of the team made (deskterm.team): the role that made it.
# Only that replica runs, retries or settles it: its idempotency key and lease live there.
# NULL: made here.
V29_CALLS_MADE_ELSEWHERE = """
ALTER TABLE connector_calls ADD COLUMN made_by TEXT;
"""

# No trigger on a new ticket (the first AFTER INSERT trigger on tickets costs every insert about
# 25 µs): a report finds new tickets by their ids above the last one it saw (meta
# kpi_cache_seen) and their re-contacts when it computes them (store.kpi_cache.recontacted). The
# intent or assignee drops a ticket's cached rows only when it changes.
V30_KPI_LIGHTER_TRIGGERS = """
DROP TRIGGER kpi_recontact_ai;
DROP TRIGGER kpi_dirty_new;
DROP TRIGGER kpi_intent_au;
CREATE TRIGGER kpi_intent_au AFTER UPDATE OF intent, assignee ON tickets
    WHEN old.intent IS NOT new.intent OR old.assignee IS NOT new.assignee BEGIN
    DELETE FROM kpi_tickets WHERE ticket_id = new.id;
END;
"""

# A team replica notes every write to a customer profile (what an account knows of a buyer: name,
# lifetime figures, tags, note) as it does orders (V26): profiles are shared records too.
V31_TEAM_PROFILES = """
CREATE TRIGGER team_changed_profile_ai AFTER INSERT ON customer_profiles
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT OR IGNORE INTO team_changed VALUES ('profile', json_array(new.account, new.external_id));
END;
CREATE TRIGGER team_changed_profile_au AFTER UPDATE ON customer_profiles
    WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'team.url') BEGIN
    INSERT OR IGNORE INTO team_changed VALUES ('profile', json_array(new.account, new.external_id));
END;
"""

SCRIPTS: list[tuple[int, str]] = [
    (24, V24_EVENT_BATCHES),
    (25, V25_DRAFT_CC_FILES),
    (26, V26_TEAM_RECORDS),
    (27, V27_KPI_DAYS),
    (28, V28_RULE_SKIPS),
    (29, V29_CALLS_MADE_ELSEWHERE),
    (30, V30_KPI_LIGHTER_TRIGGERS),
    (31, V31_TEAM_PROFILES),
]
