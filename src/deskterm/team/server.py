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

from typing import TYPE_CHECKING, Any

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

CREATE FUNCTION deskterm.stamp_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text;
    owner_role name;
    field_name text;
    before jsonb;
    after jsonb;
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
    IF NEW.kind IN ('status', 'priority', 'assign', 'escalate', 'snooze') THEN
        field_name := NEW.kind;
        before := NEW.data -> 'before';
        after := NEW.data -> 'after';
    ELSIF NEW.kind IN ('tag', 'untag') THEN
        field_name := 'tag:' || (NEW.data ->> 'tag');
        before := to_jsonb(NEW.kind = 'untag');
        after := to_jsonb(NEW.kind = 'tag');
    END IF;
    IF field_name IS NOT NULL THEN
        SELECT * INTO held FROM fields WHERE ticket = NEW.ticket AND field = field_name;
        -- Written against a value someone else had since changed, to something else again.
        IF FOUND AND held.value IS DISTINCT FROM before AND held.value IS DISTINCT FROM after
        THEN
            NEW.overrode := jsonb_build_object(
                'seq', held.seq, 'actor', held.actor, 'value', held.value
            );
        END IF;
        INSERT INTO fields VALUES (NEW.ticket, field_name, after, NEW.seq, NEW.actor)
        ON CONFLICT (ticket, field) DO UPDATE
            SET value = EXCLUDED.value, seq = EXCLUDED.seq, actor = EXCLUDED.actor;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_stamp BEFORE INSERT ON deskterm.events
    FOR EACH ROW EXECUTE FUNCTION deskterm.stamp_event();

CREATE FUNCTION deskterm.notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON deskterm.events
    FOR EACH STATEMENT EXECUTE FUNCTION deskterm.notify_events();
"""

# Each entry is one SQL script; its position (1-based) is the version it brings the server to.
MIGRATIONS: list[str] = [V1_EVENTS]

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
        raise TeamError(f"cannot connect to the team server: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    """The server's words, on one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


def schema_version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT to_regclass('deskterm.schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    version = conn.execute("SELECT version FROM deskterm.schema_version").fetchone()
    return version[0] if version else 0


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
    except _errors() as exc:
        raise TeamError(f"cannot add agent {agent} (role {role}): {_reason(exc)}") from exc


def my_agent(conn: psycopg.Connection) -> str | None:
    """The agent name the signed-in role writes as."""
    row = conn.execute("SELECT agent FROM deskterm.agents WHERE role = session_user").fetchone()
    conn.commit()
    return row[0] if row else None


def push(conn: psycopg.Connection, events: list[dict]) -> list[tuple[int, str, Any, str]]:
    """Insert `events` (skipping any the server has); returns (seq, author, overrode, uid) of
    each, as the server recorded it."""
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO deskterm.events (uid, ticket, kind, actor, at, data)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [_row(e) for e in events],
            )
            cur.execute(
                "SELECT seq, author, overrode, uid::text FROM deskterm.events"
                " WHERE uid = ANY(%s::uuid[])",
                ([e["uid"] for e in events],),
            )
            return [tuple(r) for r in cur.fetchall()]
    except _errors() as exc:
        raise TeamError(f"the team server refused the push: {_reason(exc)}") from exc


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
                "SELECT seq, uid::text, author, ticket::text, kind, actor, at, data, overrode"
                " FROM deskterm.events WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
            )
            names = [d.name for d in cur.description or ()]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        conn.commit()
        return rows
    except _errors() as exc:
        raise TeamError(f"cannot read the team server's events: {_reason(exc)}") from exc


def _errors() -> type[Exception]:
    import psycopg

    return psycopg.Error
