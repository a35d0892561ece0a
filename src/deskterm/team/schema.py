"""The shared PostgreSQL store's schema: one SQL script per version, applied in order by
deskterm.team.server.migrate, and the lock keys and channel the scripts and their callers share.
"""

from __future__ import annotations

from deskterm.team.shared_schema import V11_FILES, V12_CALL_CLAIMS, v9_records, v13_records_in_order

# pg_advisory_xact_lock keys: writing events, migrating the schema, numbering shared records.
EVENT_LOCK = 0x6465736B01
MIGRATE_LOCK = 0x6465736B02
RECORD_LOCK = 0x6465736B03
CHANNEL = "deskterm_events"

V1_EVENTS = f"""
CREATE TABLE deskterm.workspace (
    id uuid PRIMARY KEY,
    owner name NOT NULL DEFAULT session_user,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Who may write, and as which agent: the database role each person signs in with.
CREATE TABLE deskterm.agents (
    role name PRIMARY KEY,
    agent text NOT NULL UNIQUE
);
CREATE SEQUENCE deskterm.event_seq;
CREATE TABLE deskterm.events (
    seq bigint PRIMARY KEY,
    uid uuid NOT NULL UNIQUE,
    author name NOT NULL,
    ticket uuid NOT NULL,
    kind text NOT NULL,
    actor text NOT NULL,
    at text NOT NULL,
    data jsonb NOT NULL,
    overrode jsonb,
    -- Why the server held a reply for its author instead of queueing it (Traffic Cop): the
    -- thread received a customer message, or a reply or note by another, after what they saw.
    held text,
    received_at timestamptz NOT NULL
);
-- Each ticket field's value by the server's order, to tell when a change overrode another.
CREATE TABLE deskterm.fields (
    ticket uuid NOT NULL,
    field text NOT NULL,
    value jsonb,
    seq bigint NOT NULL,
    actor text NOT NULL,
    PRIMARY KEY (ticket, field)
);


CREATE FUNCTION deskterm.notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON deskterm.events
    FOR EACH STATEMENT EXECUTE FUNCTION deskterm.notify_events();
-- The field an event changes, with the value it found and the one it left; an undo puts the
-- undone event's field back.
CREATE FUNCTION deskterm.field_change(ev_kind text, ev_data jsonb, OUT field text, OUT before jsonb,
    OUT after jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    undone events%ROWTYPE;
BEGIN
    IF ev_kind IN ('status', 'priority', 'assign', 'escalate', 'snooze') THEN
        field := ev_kind;
        before := ev_data -> 'before';
        after := ev_data -> 'after';
    ELSIF ev_kind IN ('tag', 'untag') THEN
        field := 'tag:' || (ev_data ->> 'tag');
        before := to_jsonb(ev_kind = 'untag');
        after := to_jsonb(ev_kind = 'tag');
    ELSIF ev_kind = 'undo' AND ev_data ->> 'event' IS NOT NULL THEN
        SELECT * INTO undone FROM events WHERE uid = (ev_data ->> 'event')::uuid;
        IF FOUND AND undone.kind <> 'undo' THEN
            SELECT c.field, c.after, c.before INTO field, before, after
            FROM field_change(undone.kind, undone.data) AS c;
        END IF;
    END IF;
END $$;

-- Replies of the whole team, to be sent once by the worker holding their account's lock:
-- queued, held (for its author: see events.held), granted (to `worker`, which sends it), sent,
-- failed, cancelled.
CREATE TABLE deskterm.outbox (
    key text PRIMARY KEY,
    ticket uuid NOT NULL,
    account text NOT NULL,
    event uuid NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL,
    worker text,
    granted_at timestamptz,
    external_id text,
    error text,
    created_seq bigint NOT NULL
);
CREATE INDEX events_ticket ON deskterm.events(ticket, seq);
CREATE INDEX outbox_due ON deskterm.outbox(account, created_seq)
    WHERE status IN ('queued', 'granted');

-- What an event does to the team's outbox: a reply queues its item, the worker's delivery
-- reports settle it, a person's cancel, retry or undo acts on it while it has not left.
CREATE FUNCTION deskterm.outbox_follows(ev deskterm.events) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    item jsonb := ev.data -> 'outbox_row';
    undone events%ROWTYPE;
BEGIN
    IF ev.kind = 'reply' AND item IS NOT NULL AND jsonb_typeof(item) = 'object' THEN
        INSERT INTO outbox (key, ticket, account, event, payload, status, error, created_seq)
        VALUES (item ->> 'key', ev.ticket, item ->> 'account', ev.uid, item -> 'payload',
                CASE WHEN ev.held IS NULL THEN 'queued' ELSE 'held' END, ev.held, ev.seq)
        ON CONFLICT (key) DO NOTHING;
    ELSIF ev.kind = 'delivered' THEN
        UPDATE outbox SET status = 'sent', external_id = ev.data ->> 'external_id'
        WHERE key = ev.data ->> 'outbox';
    ELSIF ev.kind = 'delivery_failed' THEN
        UPDATE outbox SET status = 'failed', error = ev.data ->> 'error'
        WHERE key = ev.data ->> 'outbox' AND status <> 'sent';
    ELSIF ev.kind = 'retry_send' THEN
        UPDATE outbox SET status = 'queued', worker = NULL
        WHERE key = ev.data ->> 'outbox' AND status IN ('failed', 'held');
    ELSIF ev.kind = 'cancel_send' THEN
        UPDATE outbox SET status = 'cancelled'
        WHERE key = ev.data ->> 'outbox' AND status IN ('queued', 'failed', 'held');
    ELSIF ev.kind = 'undo' AND ev.data ->> 'event' IS NOT NULL THEN
        SELECT * INTO undone FROM events WHERE uid = (ev.data ->> 'event')::uuid;
        IF FOUND AND undone.kind = 'reply' THEN
            UPDATE outbox SET status = 'cancelled'
            WHERE event = undone.uid AND status IN ('queued', 'failed', 'held');
        END IF;
    END IF;
END $$;

-- What reached a ticket after `seen` that the writer of a reply did not see: a customer's
-- message, or a reply or note by another role; NULL when nothing did (or `seen` is unknown).
CREATE FUNCTION deskterm.news_since(on_ticket uuid, seen bigint, writer name) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    later events%ROWTYPE;
BEGIN
    IF seen IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO later FROM events
    WHERE ticket = on_ticket AND seq > seen AND kind IN ('message_in', 'reply', 'note')
        AND (kind = 'message_in' OR author <> writer)
    ORDER BY seq LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF later.kind = 'message_in' THEN
        RETURN 'the customer wrote again after you started your reply';
    END IF;
    RETURN format('%s added a %s after you started your reply',
        split_part(later.actor, ':', 2), later.kind);
END $$;

CREATE FUNCTION deskterm.stamp_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text;
    owner_role name;
    change record;
    held fields%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock({EVENT_LOCK});
    IF EXISTS (SELECT 1 FROM events WHERE uid = NEW.uid) THEN
        RETURN NULL;
    END IF;
    SELECT owner INTO owner_role FROM workspace;
    SELECT agent INTO me FROM agents WHERE role = session_user;
    IF session_user <> owner_role AND me IS NULL THEN
        RAISE EXCEPTION 'role % is not an agent of this workspace', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF session_user <> owner_role AND NEW.actor LIKE 'agent:%' AND NEW.actor <> 'agent:' || me
    THEN
        RAISE EXCEPTION 'role % signs in as agent:%, not %', session_user, me, NEW.actor
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.seq := nextval('event_seq');
    NEW.author := session_user;
    NEW.received_at := now();
    NEW.overrode := NULL;
    NEW.held := NULL;
    IF NEW.kind = 'reply' THEN
        NEW.held := news_since(NEW.ticket, (NEW.data ->> 'seen')::bigint, session_user);
    END IF;
    SELECT * INTO change FROM field_change(NEW.kind, NEW.data);
    IF change.field IS NOT NULL THEN
        SELECT * INTO held FROM fields WHERE ticket = NEW.ticket AND field = change.field;
        -- Written against a value someone else had since changed, to something else again.
        IF FOUND AND held.value IS DISTINCT FROM change.before
            AND held.value IS DISTINCT FROM change.after
        THEN
            NEW.overrode := jsonb_build_object(
                'seq', held.seq, 'actor', held.actor, 'value', held.value
            );
        END IF;
        INSERT INTO fields VALUES (NEW.ticket, change.field, change.after, NEW.seq, NEW.actor)
        ON CONFLICT (ticket, field) DO UPDATE
            SET value = EXCLUDED.value, seq = EXCLUDED.seq, actor = EXCLUDED.actor;
    END IF;
    PERFORM outbox_follows(NEW);
    RETURN NEW;
END $$;
CREATE TRIGGER events_stamp BEFORE INSERT ON deskterm.events
    FOR EACH ROW EXECUTE FUNCTION deskterm.stamp_event();
"""

V2_PRESENCE = """
-- Who is viewing or writing which ticket, until when (deskterm.team.presence): an agent announces
-- the ticket they have open, again every so often, and the row lapses when they go away. Read
-- and written only through the functions, which know the agent from the role signed in.
CREATE TABLE deskterm.presence (
    agent text PRIMARY KEY,
    ticket uuid NOT NULL,
    doing text NOT NULL CHECK (doing IN ('viewing', 'writing')),
    until timestamptz NOT NULL
);
CREATE FUNCTION deskterm.signed_in_agent() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text;
BEGIN
    SELECT agent INTO me FROM agents WHERE role = session_user;
    IF me IS NULL THEN
        RAISE EXCEPTION 'role % is not an agent of this workspace', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN me;
END $$;
CREATE FUNCTION deskterm.announce(on_ticket uuid, what text, seconds int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
BEGIN
    IF on_ticket IS NULL THEN
        DELETE FROM presence WHERE agent = me;
    ELSE
        INSERT INTO presence VALUES (me, on_ticket, what, now() + make_interval(secs => seconds))
        ON CONFLICT (agent) DO UPDATE
            SET ticket = EXCLUDED.ticket, doing = EXCLUDED.doing, until = EXCLUDED.until;
    END IF;
    PERFORM pg_notify('deskterm_presence', coalesce(on_ticket::text, ''));
END $$;
CREATE FUNCTION deskterm.present() RETURNS TABLE (agent text, ticket uuid, doing text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
BEGIN
    RETURN QUERY SELECT p.agent, p.ticket, p.doing FROM presence p
        WHERE p.until > now() AND p.agent <> me ORDER BY p.agent;
END $$;
"""

V3_TAKE_NEXT = """
-- "Take next" (deskterm.team.assignment): the first of an agent's candidates that nobody is
-- assigned and nobody took in the last two minutes becomes theirs, one agent per ticket however
-- many ask at once; the assignment itself then travels as an ordinary assign event. An agent at
-- their cap of open assigned tickets (by the server's order of events) gets none.
CREATE TABLE deskterm.takes (
    ticket uuid PRIMARY KEY,
    agent text NOT NULL,
    at timestamptz NOT NULL
);
CREATE FUNCTION deskterm.take_next(candidates uuid[], cap int) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
    candidate uuid;
    taken uuid;
BEGIN
    IF cap IS NOT NULL AND (
        SELECT count(*) FROM fields a WHERE a.field = 'assign' AND a.value = to_jsonb(me)
            AND NOT EXISTS (SELECT 1 FROM fields s WHERE s.ticket = a.ticket
                AND s.field = 'status' AND s.value #>> '{}' IN ('solved', 'closed'))
    ) >= cap THEN
        RAISE EXCEPTION 'agent % already has % open tickets, the cap', me, cap
            USING ERRCODE = 'check_violation';
    END IF;
    FOREACH candidate IN ARRAY candidates LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM fields WHERE ticket = candidate
            AND field = 'assign' AND value IS DISTINCT FROM 'null'::jsonb);
        INSERT INTO takes VALUES (candidate, me, now())
        ON CONFLICT (ticket) DO UPDATE SET agent = EXCLUDED.agent, at = EXCLUDED.at
            WHERE takes.at < now() - interval '2 minutes'
        RETURNING ticket INTO taken;
        IF taken IS NOT NULL THEN
            RETURN taken;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""

# The seed of hashtextextended() that turns an account name into its advisory lock key.
ACCOUNT_LOCK_SEED = 0x6465736B03

V4_FENCING = f"""
-- Fencing (deskterm.team.worker): each grant of a reply gets a new number, its fence, and the
-- worker may hand the reply to its channel only while the row still carries that fence and the
-- session asking still holds the account's advisory lock. A worker that lost its lock
-- connection (so another took the account over and granted itself the row afresh) is refused,
-- however long it took to notice. A row stays 'handing' from that moment until its delivery
-- report; a new holder takes it over only once a send in flight would have ended.
ALTER TABLE deskterm.outbox ADD COLUMN fence bigint NOT NULL DEFAULT 0;
ALTER TABLE deskterm.outbox ADD COLUMN handed_at timestamptz;
CREATE SEQUENCE deskterm.fence_seq;
DROP INDEX deskterm.outbox_due;
CREATE INDEX outbox_due ON deskterm.outbox(account, created_seq)
    WHERE status IN ('queued', 'granted', 'handing');

CREATE FUNCTION deskterm.holds_account(acct text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = deskterm, pg_catalog AS $$
    SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
        AND pid = pg_backend_pid() AND objsubid = 1
        AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(acct, {ACCOUNT_LOCK_SEED}))
$$;

CREATE FUNCTION deskterm.claim_replies(acct text, me text, through bigint, most int,
    grace interval)
RETURNS TABLE (key text, was text, fence bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    IF NOT holds_account(acct) THEN
        RAISE EXCEPTION 'this worker does not hold account %', acct
            USING ERRCODE = 'lock_not_available';
    END IF;
    RETURN QUERY WITH picked AS (
        SELECT o.key, o.status AS was FROM outbox o
        WHERE o.account = acct AND o.created_seq <= through
            AND (o.status IN ('queued', 'granted')
                OR (o.status = 'handing' AND o.worker <> me AND o.handed_at < now() - grace))
        ORDER BY o.created_seq LIMIT most FOR UPDATE SKIP LOCKED)
    UPDATE outbox o SET status = 'granted', worker = me, granted_at = now(),
        fence = nextval('fence_seq')
    FROM picked WHERE o.key = picked.key
    RETURNING o.key, picked.was, o.fence;
END $$;

CREATE FUNCTION deskterm.begin_send(item text, me text, token bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    UPDATE outbox SET status = 'handing', handed_at = now()
    WHERE key = item AND worker = me AND fence = token AND status IN ('granted', 'handing')
        AND holds_account(account);
    RETURN FOUND;
END $$;
"""

V5_SECOND_PULLS = """
-- Every message the team holds, once: a worker that took an account over from one that died
-- before pushing what it had pulled pulls those messages again, and the dead worker's replica
-- pushes its copies when it comes back. The server keeps the first to arrive and refuses the
-- other (and every later event on a ticket it refused), so that replica drops its copy (see
-- deskterm.team.replica.push) and receives the team's one.
CREATE TABLE deskterm.messages (
    account text NOT NULL,
    external_id text NOT NULL,
    event uuid NOT NULL,
    PRIMARY KEY (account, external_id)
);
INSERT INTO deskterm.messages
    SELECT coalesce(data -> 'message_row' ->> 'account', ''),
        data -> 'message_row' ->> 'external_id', uid
    FROM deskterm.events WHERE jsonb_typeof(data -> 'message_row') = 'object'
    ORDER BY seq
ON CONFLICT DO NOTHING;
CREATE TABLE deskterm.refused_tickets (ticket uuid PRIMARY KEY);

CREATE FUNCTION deskterm.admit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    message jsonb := NEW.data -> 'message_row';
    first uuid;
BEGIN
    IF EXISTS (SELECT 1 FROM events WHERE uid = NEW.uid) THEN
        RETURN NEW;  -- a repeated push: events_stamp skips it
    END IF;
    IF EXISTS (SELECT 1 FROM refused_tickets WHERE ticket = NEW.ticket) THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(message) = 'object' THEN
        INSERT INTO messages VALUES (coalesce(message ->> 'account', ''),
            message ->> 'external_id', NEW.uid)
        ON CONFLICT DO NOTHING RETURNING event INTO first;
        IF first IS NULL THEN
            IF NEW.kind = 'created' THEN
                INSERT INTO refused_tickets VALUES (NEW.ticket) ON CONFLICT DO NOTHING;
            END IF;
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END $$;
-- Triggers fire in name order: events_admit before events_stamp.
CREATE TRIGGER events_admit BEFORE INSERT ON deskterm.events
    FOR EACH ROW EXECUTE FUNCTION deskterm.admit_event();
"""

V6_ONLINE = """
-- Who is online (deskterm.team.roster): a workstation announces its agent while it runs, with a
-- ticket open or none (ticket NULL), so assignment can pass over the agents who are away. An
-- announcement of 0 seconds withdraws it at once (the workstation closed).
ALTER TABLE deskterm.presence ALTER COLUMN ticket DROP NOT NULL;
CREATE OR REPLACE FUNCTION deskterm.announce(on_ticket uuid, what text, seconds int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
BEGIN
    IF seconds <= 0 THEN
        DELETE FROM presence WHERE agent = me;
    ELSE
        INSERT INTO presence VALUES (me, on_ticket, what, now() + make_interval(secs => seconds))
        ON CONFLICT (agent) DO UPDATE
            SET ticket = EXCLUDED.ticket, doing = EXCLUDED.doing, until = EXCLUDED.until;
    END IF;
    PERFORM pg_notify('deskterm_presence', coalesce(on_ticket::text, ''));
END $$;
CREATE OR REPLACE FUNCTION deskterm.present() RETURNS TABLE (agent text, ticket uuid, doing text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
BEGIN
    RETURN QUERY SELECT p.agent, p.ticket, p.doing FROM presence p
        WHERE p.until > now() AND p.agent <> me AND p.ticket IS NOT NULL ORDER BY p.agent;
END $$;
CREATE FUNCTION deskterm.online() RETURNS TABLE (agent text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    PERFORM signed_in_agent();
    RETURN QUERY SELECT p.agent FROM presence p WHERE p.until > now() ORDER BY p.agent;
END $$;
"""

V7_NOTIFY_SEQ = f"""
-- The notification of new events names the last of them, so a replica that has pulled that far
-- already (its pass after an earlier wake-up took them too) need not wake for it.
CREATE OR REPLACE FUNCTION deskterm.notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', (SELECT coalesce(max(seq), 0)::text FROM new_rows));
    RETURN NULL;
END $$;
DROP TRIGGER events_notify ON deskterm.events;
CREATE TRIGGER events_notify AFTER INSERT ON deskterm.events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskterm.notify_events();
"""

V8_NUMBERS = f"""
-- Ticket numbers (docs/team.md): the server gives each ticket its number when its `created`
-- event arrives, the same on every replica. The creator proposes its own provisional number
-- (ticket_row.number); it keeps it when it is above every number given so far, else it gets
-- the next one. Tickets created before this version are numbered in the server's order.
ALTER TABLE deskterm.events ADD COLUMN number bigint;
UPDATE deskterm.events e SET number = n.number
FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS number FROM deskterm.events
      WHERE kind = 'created') n
WHERE e.seq = n.seq;
CREATE UNIQUE INDEX events_number ON deskterm.events(number) WHERE number IS NOT NULL;

CREATE FUNCTION deskterm.number_ticket() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    NEW.number := NULL;
    IF NEW.kind = 'created' THEN
        PERFORM pg_advisory_xact_lock({EVENT_LOCK});
        NEW.number := greatest(
            coalesce((NEW.data -> 'ticket_row' ->> 'number')::bigint, 0),
            coalesce((SELECT max(number) FROM events), 0) + 1);
    END IF;
    RETURN NEW;
END $$;
-- After events_admit (which may refuse the event), before events_stamp.
CREATE TRIGGER events_number BEFORE INSERT ON deskterm.events
    FOR EACH ROW EXECUTE FUNCTION deskterm.number_ticket();
"""

V9_RECORDS = v9_records(CHANNEL)

V10_TAKE_NEXT_PRESENCE = """
-- Take next passes over a ticket another agent has open right now (viewing or writing: their
-- presence has not lapsed), as it passes over one somebody is assigned.
CREATE OR REPLACE FUNCTION deskterm.take_next(candidates uuid[], cap int) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
    candidate uuid;
    taken uuid;
BEGIN
    IF cap IS NOT NULL AND (
        SELECT count(*) FROM fields a WHERE a.field = 'assign' AND a.value = to_jsonb(me)
            AND NOT EXISTS (SELECT 1 FROM fields s WHERE s.ticket = a.ticket
                AND s.field = 'status' AND s.value #>> '{}' IN ('solved', 'closed'))
    ) >= cap THEN
        RAISE EXCEPTION 'agent % already has % open tickets, the cap', me, cap
            USING ERRCODE = 'check_violation';
    END IF;
    FOREACH candidate IN ARRAY candidates LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM fields WHERE ticket = candidate
            AND field = 'assign' AND value IS DISTINCT FROM 'null'::jsonb);
        CONTINUE WHEN EXISTS (SELECT 1 FROM presence p WHERE p.ticket = candidate
            AND p.agent <> me AND p.until > now());
        INSERT INTO takes VALUES (candidate, me, now())
        ON CONFLICT (ticket) DO UPDATE SET agent = EXCLUDED.agent, at = EXCLUDED.at
            WHERE takes.at < now() - interval '2 minutes'
        RETURNING ticket INTO taken;
        IF taken IS NOT NULL THEN
            RETURN taken;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""

# Each entry is one SQL script; its position (1-based) is the version it brings the server to.
MIGRATIONS: list[str] = [
    V1_EVENTS,
    V2_PRESENCE,
    V3_TAKE_NEXT,
    V4_FENCING,
    V5_SECOND_PULLS,
    V6_ONLINE,
    V7_NOTIFY_SEQ,
    V8_NUMBERS,
    V9_RECORDS,
    V10_TAKE_NEXT_PRESENCE,
    V11_FILES,
    V12_CALL_CLAIMS,
    v13_records_in_order(RECORD_LOCK),
]
