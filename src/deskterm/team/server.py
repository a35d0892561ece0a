"""The shared PostgreSQL store: its schema (migrations, as for SQLite), who may write, and the
statements replicas run against it.

The server, not the client, says who wrote each event and in what order: a trigger stamps every
pushed event with the signed-in role (session_user) and the next number of one global sequence,
taken under a transaction-wide advisory lock so that numbers are handed out in commit order (a
reader that has seen N has seen everything before N). The same trigger refuses an `agent:` actor
that is not the role's own agent, skips an event it already has (a push is idempotent), and notes
when a field change overrode a value its writer had not seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# pg_advisory_xact_lock keys: one for writing events, one for migrating the schema.
EVENT_LOCK = 0x6465736B01
MIGRATE_LOCK = 0x6465736B02
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

# Each entry is one SQL script; its position (1-based) is the version it brings the server to.
MIGRATIONS: list[str] = [V1_EVENTS, V2_PRESENCE, V3_TAKE_NEXT, V4_FENCING]

# What an agent's role may do: read the log and who is who, and insert events, naming only the
# columns a client decides (the trigger fills in seq, author and the rest).
AGENT_GRANTS = (
    "GRANT USAGE ON SCHEMA deskterm TO {role}",
    "GRANT SELECT ON deskterm.workspace, deskterm.agents, deskterm.events,"
    " deskterm.schema_version TO {role}",
    "GRANT INSERT (uid, ticket, kind, actor, at, data) ON deskterm.events TO {role}",
)


class TeamError(Exception):
    """The shared server cannot be used as asked; the message says why in one line."""


def connect(conninfo: str, password: str | None = None) -> psycopg.Connection:
    """A connection to the shared server (autocommit off: every call site commits)."""
    try:
        import psycopg
    except ImportError:
        raise TeamError("team mode needs psycopg: pip install 'deskterm[team]'") from None
    try:
        return psycopg.connect(conninfo, password=password, connect_timeout=10)
    except psycopg.Error as exc:
        raise TeamError(f"cannot connect to the team server: {reason(exc)}") from exc


def reason(exc: Exception) -> str:
    """The server's words, on one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


def schema_version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT to_regclass('deskterm.schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    version = conn.execute("SELECT version FROM deskterm.schema_version").fetchone()
    return version[0] if version else 0


def behind(conn: psycopg.Connection) -> bool:
    """Whether the server's schema is older than this deskterm's (the owner migrates it)."""
    try:
        return schema_version(conn) < len(MIGRATIONS)
    finally:
        conn.rollback()


def migrate(conn: psycopg.Connection) -> int:
    """Bring the server's schema to the newest version; returns the version it was at."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        conn.execute("CREATE SCHEMA IF NOT EXISTS deskterm")
        conn.execute("CREATE TABLE IF NOT EXISTS deskterm.schema_version (version int NOT NULL)")
        start = schema_version(conn)
        if start > len(MIGRATIONS):
            raise TeamError(
                f"the team server is at schema version {start}, newer than this deskterm "
                f"understands ({len(MIGRATIONS)}); upgrade deskterm"
            )
        for script in MIGRATIONS[start:]:
            conn.execute(script.encode())
        conn.execute("DELETE FROM deskterm.schema_version")
        conn.execute("INSERT INTO deskterm.schema_version VALUES (%s)", (len(MIGRATIONS),))
    return start


def workspace(conn: psycopg.Connection) -> tuple[str, str] | None:
    """(id, owner role) of the workspace this server holds, or None before `team init`."""
    from psycopg import errors

    try:
        if schema_version(conn) == 0:
            return None
        row = conn.execute("SELECT id::text, owner FROM deskterm.workspace").fetchone()
    except errors.InsufficientPrivilege:
        raise TeamError(
            "the role you signed in with is not an agent of this workspace; its owner adds "
            "agents with deskterm team add-agent ROLE NAME"
        ) from None
    finally:
        conn.rollback()
    return (row[0], row[1]) if row else None


def create_workspace(conn: psycopg.Connection, workspace_id: str, agent: str) -> None:
    """Record the workspace, owned by the signed-in role, which is also `agent`."""
    with conn.transaction():
        conn.execute("INSERT INTO deskterm.workspace (id) VALUES (%s)", (workspace_id,))
        conn.execute(
            "INSERT INTO deskterm.agents (role, agent) VALUES (session_user, %s)", (agent,)
        )


def add_agent(conn: psycopg.Connection, role: str, agent: str) -> None:
    """Let the database role `role` write as agent:`agent` (run by the workspace's owner)."""
    from psycopg import sql

    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO deskterm.agents (role, agent) VALUES (%s, %s)"
                " ON CONFLICT (role) DO UPDATE SET agent = EXCLUDED.agent",
                (role, agent),
            )
            for grant in AGENT_GRANTS:
                conn.execute(sql.SQL(grant).format(role=sql.Identifier(role)))
    except db_errors() as exc:
        raise TeamError(f"cannot add agent {agent} (role {role}): {reason(exc)}") from exc


def my_agent(conn: psycopg.Connection) -> str | None:
    """The agent name the signed-in role writes as."""
    row = conn.execute("SELECT agent FROM deskterm.agents WHERE role = session_user").fetchone()
    conn.commit()
    return row[0] if row else None


def push(conn: psycopg.Connection, events: list[dict]) -> list[tuple]:
    """Insert `events` (skipping any the server has); returns (seq, author, overrode, uid, held) of
    each, as the server recorded it."""
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO deskterm.events (uid, ticket, kind, actor, at, data)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [_row(e) for e in events],
            )
            cur.execute(
                "SELECT seq, author, overrode, uid::text, held FROM deskterm.events"
                " WHERE uid = ANY(%s::uuid[])",
                ([e["uid"] for e in events],),
            )
            return [tuple(r) for r in cur.fetchall()]
    except db_errors() as exc:
        raise TeamError(f"the team server refused the push: {reason(exc)}") from exc


def _row(event: dict) -> tuple:
    from psycopg.types.json import Jsonb

    return (
        event["uid"],
        event["ticket"],
        event["kind"],
        event["actor"],
        event["at"],
        Jsonb(event["data"]),
    )


def fetch(conn: psycopg.Connection, after: int, limit: int) -> list[dict]:
    """The events after `after` in the server's order, at most `limit`."""
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT seq, uid::text, author, ticket::text, kind, actor, at, data, overrode, held"
                " FROM deskterm.events WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
            )
            names = [d.name for d in cur.description or ()]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        conn.commit()
        return rows
    except db_errors() as exc:
        raise TeamError(f"cannot read the team server's events: {reason(exc)}") from exc


def claim_replies(
    locks: psycopg.Connection,
    account: str,
    worker: str,
    through_seq: int,
    grace_s: float,
    limit: int = 100,
) -> list[tuple[str, str, int]]:
    """Grant `worker` the account's queued replies whose events it has pulled, those granted and
    not yet begun (to a worker that is gone, as this session holds the account's lock, or the
    server refuses; or to this one, afresh), and those another worker began to send more than
    `grace_s` ago; rows another
    claimer holds at this moment are skipped, never waited for or shared. Run on the connection
    holding the lock. (key, status it had, its new fence) of each."""
    try:
        with locks.transaction():
            found = locks.execute(
                "SELECT key, was, fence FROM deskterm.claim_replies(%s, %s, %s, %s,"
                " make_interval(secs => %s))",
                (account, worker, through_seq, limit, grace_s),
            ).fetchall()
        return [(key, was, fence) for key, was, fence in found]
    except db_errors() as exc:
        raise TeamError(f"cannot claim replies on the team server: {reason(exc)}") from exc


def begin_send(locks: psycopg.Connection, key: str, worker: str, fence: int) -> bool:
    """Whether `worker` may hand reply `key` to its channel now: the server still has it granted
    under `fence` and this session (the one holding the locks) holds the account's lock."""
    try:
        with locks.transaction():
            row = locks.execute(
                "SELECT deskterm.begin_send(%s, %s, %s)", (key, worker, fence)
            ).fetchone()
        return bool(row and row[0])
    except db_errors():
        return False


def db_errors() -> type[Exception]:
    """What psycopg raises when the server refuses a statement or the connection breaks."""
    import psycopg

    return psycopg.Error
