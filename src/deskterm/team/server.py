"""The shared PostgreSQL store: bringing its schema (deskterm.team.schema) up to date, who may
write, and the statements replicas run against it.

The server, not the client, says who wrote each event and in what order: a trigger stamps every
pushed event with the signed-in role (session_user) and the next number of one global sequence,
taken under a transaction-wide advisory lock so that numbers are handed out in commit order (a
reader that has seen N has seen everything before N). The same trigger refuses an `agent:` actor
that is not the role's own agent, skips an event it already has (a push is idempotent), and notes
when a field change overrode a value its writer had not seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskterm.team.schema import MIGRATE_LOCK, MIGRATIONS

if TYPE_CHECKING:
    import psycopg

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
    """Insert `events` (skipping any the server has) in one statement, so one notification
    announces them all; returns (seq, author, overrode, uid, held, number) of each the server
    holds, as it recorded it (number: the ticket number a `created` event got).

    The insert answers with the rows it stamped: on a connection in autocommit the server's
    event lock (taken by the stamping trigger) is let go as the statement ends, so a pusher the
    machine is slow to schedule holds up nobody else's push. Events it skipped (pushed before,
    by a run whose answer was lost or by another process on this replica) are read afterwards."""
    from psycopg.types.json import Jsonb

    try:
        with conn.cursor() as cur:
            cur.execute(PUSH, (Jsonb(events),))
            stamped = [tuple(r) for r in cur.fetchall()]
            conn.commit()
            skipped = {e["uid"] for e in events} - {row[3] for row in stamped}
            if skipped:
                cur.execute(
                    "SELECT seq, author, overrode, uid::text, held, number FROM deskterm.events"
                    " WHERE uid = ANY(%s::uuid[])",
                    (list(skipped),),
                )
                stamped += [tuple(r) for r in cur.fetchall()]
                conn.commit()
        return stamped
    except db_errors() as exc:
        if not conn.closed:  # a broken connection has no transaction left to end
            conn.rollback()
        raise TeamError(f"the team server refused the push: {reason(exc)}") from exc


PUSH = """
INSERT INTO deskterm.events (uid, ticket, kind, actor, at, data)
SELECT uid, ticket, kind, actor, at, data FROM ROWS FROM (jsonb_to_recordset(%s)
    AS (uid uuid, ticket uuid, kind text, actor text, at text, data jsonb))
    WITH ORDINALITY AS e(uid, ticket, kind, actor, at, data, n) ORDER BY n
RETURNING seq, author, overrode, uid::text, held, number
"""


def fetch(conn: psycopg.Connection, after: int, limit: int) -> list[dict]:
    """The events after `after` in the server's order, at most `limit`."""
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT seq, uid::text, author, ticket::text, kind, actor, at, data, overrode, held,"
                " number"
                " FROM deskterm.events WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
            )
            names = [d.name for d in cur.description or ()]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        conn.commit()
        return rows
    except db_errors() as exc:
        raise TeamError(f"cannot read the team server's events: {reason(exc)}") from exc


def put_records(conn: psycopg.Connection, records: list[dict]) -> None:
    """Write the team's shared records (kind, key, data), each replacing the one it names."""
    from psycopg.types.json import Jsonb

    try:
        with conn.transaction():
            conn.execute("SELECT deskterm.put_records(%s)", (Jsonb(records),))
    except db_errors() as exc:
        raise TeamError(f"the team server refused the records: {reason(exc)}") from exc


def records_after(conn: psycopg.Connection, after: int, limit: int) -> list[dict]:
    """The shared records written after number `after`, oldest first, at most `limit`."""
    try:
        # One statement, no transaction around it: one round trip on a connection in autocommit,
        # as every pass of a replica's sync makes this call.
        found = conn.execute(
            "SELECT seq, kind, key, data FROM deskterm.records_after(%s, %s)", (after, limit)
        ).fetchall()
        conn.commit()
    except db_errors() as exc:
        raise TeamError(f"cannot read the team server's records: {reason(exc)}") from exc
    return [{"seq": seq, "kind": kind, "key": key, "data": data} for seq, kind, key, data in found]


def files_missing(conn: psycopg.Connection, digests: list[str]) -> list[str]:
    """Which of the files `digests` name the server lacks."""
    if not digests:
        return []
    try:
        with conn.transaction():
            found = conn.execute("SELECT deskterm.files_missing(%s::text[])", (digests,)).fetchall()
    except db_errors() as exc:
        raise TeamError(f"cannot ask the team server for files: {reason(exc)}") from exc
    return [digest for (digest,) in found]


def put_file(conn: psycopg.Connection, digest: str, data: bytes) -> None:
    """Keep one file's bytes on the server, under its SHA-256."""
    try:
        with conn.transaction():
            conn.execute("SELECT deskterm.put_file(%s, %s)", (digest, data))
    except db_errors() as exc:
        raise TeamError(f"the team server refused a file: {reason(exc)}") from exc


def files(conn: psycopg.Connection, digests: list[str]) -> list[tuple[str, bytes]]:
    """(digest, bytes) of those of the files `digests` name that the server has."""
    if not digests:
        return []
    try:
        with conn.transaction():
            found = conn.execute(
                "SELECT sha256, data FROM deskterm.file_data(%s::text[])", (digests,)
            ).fetchall()
    except db_errors() as exc:
        raise TeamError(f"cannot read files from the team server: {reason(exc)}") from exc
    return [(digest, bytes(data)) for digest, data in found]


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
