"""The team server's scripts for what it shares beside the event log: records (orders, accounts,
sync cursors), attachment files, who decides a proposed connector call and the order of
records' numbers, V9, V11, V12 and V13 of deskterm.team.schema, kept apart so that schema.py
stays under 600 lines."""

from __future__ import annotations


def v9_records(channel: str) -> str:
    """V9: the shared records, announced on the events' notification `channel`."""
    return f"""
-- The team's shared records (docs/team.md): what is not a change to a ticket but every replica
-- needs, one row per thing, the last write winning: orders and what an account knows of a
-- customer (pulled by the one worker), accounts (without secrets, which stay in each machine's
-- keyring) and the sync cursors (so a worker that takes an account over resumes where the last
-- one stopped). A write that changes nothing keeps the row's number, so a replica that pushes
-- back what it pulled wakes nobody. A cursor is written only by the session holding its
-- account's lock (a worker back from the dead must not take the team back to where it stopped).
-- Read and written only through the functions.
CREATE SEQUENCE deskterm.record_seq;
CREATE TABLE deskterm.records (
    kind text NOT NULL,
    key text NOT NULL,
    data jsonb NOT NULL,
    seq bigint NOT NULL,
    author name NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX records_seq ON deskterm.records(seq);

CREATE FUNCTION deskterm.put_records(given jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    item jsonb;
    last bigint := 0;
    stamped bigint;
BEGIN
    PERFORM signed_in_agent();
    FOR item IN SELECT value FROM jsonb_array_elements(given) LOOP
        CONTINUE WHEN item ->> 'kind' = 'cursor'
            AND NOT holds_account((item ->> 'key')::jsonb ->> 0);
        stamped := NULL;
        INSERT INTO records VALUES (item ->> 'kind', item ->> 'key', item -> 'data',
            nextval('record_seq'), session_user)
        ON CONFLICT (kind, key) DO UPDATE
            SET data = EXCLUDED.data, seq = EXCLUDED.seq, author = EXCLUDED.author
            WHERE records.data IS DISTINCT FROM EXCLUDED.data
        RETURNING seq INTO stamped;
        last := greatest(last, coalesce(stamped, 0));
    END LOOP;
    IF last > 0 THEN
        PERFORM pg_notify('{channel}', 'records:' || last);
    END IF;
    RETURN last;
END $$;

CREATE FUNCTION deskterm.records_after(after bigint, most int)
RETURNS TABLE (seq bigint, kind text, key text, data jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    PERFORM signed_in_agent();
    RETURN QUERY SELECT r.seq, r.kind, r.key, r.data FROM records r
        WHERE r.seq > after ORDER BY r.seq LIMIT most;
END $$;
"""


V11_FILES = """
-- Attachment files (deskterm.team.files): the bytes of every file a message or a reply names,
-- once per SHA-256, so a replica can open a file another machine received or attached. A file
-- is taken only when its bytes match its digest. Read and written only through the functions.
CREATE TABLE deskterm.files (
    sha256 text PRIMARY KEY,
    data bytea NOT NULL
);
CREATE FUNCTION deskterm.files_missing(digests text[]) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    PERFORM signed_in_agent();
    RETURN QUERY SELECT d FROM unnest(digests) AS d
        WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = d);
END $$;
CREATE FUNCTION deskterm.put_file(digest text, content bytea) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    PERFORM signed_in_agent();
    IF encode(sha256(content), 'hex') <> digest THEN
        RAISE EXCEPTION 'the file does not match its digest %', digest
            USING ERRCODE = 'data_exception';
    END IF;
    INSERT INTO files VALUES (digest, content) ON CONFLICT DO NOTHING;
END $$;
CREATE FUNCTION deskterm.file_data(digests text[]) RETURNS TABLE (sha256 text, data bytea)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    PERFORM signed_in_agent();
    RETURN QUERY SELECT f.sha256, f.data FROM files f WHERE f.sha256 = ANY(digests);
END $$;
"""


V12_CALL_CLAIMS = """
-- Who decides a proposed connector call (deskterm.team.calls): a refund or cancel a rule proposed
-- on one replica may be confirmed or dismissed by any agent on any replica, and the first of them
-- the server hears decides, however many ask at once (the key's row, under its unique index, is
-- the claim); the others are told who decided and when. A confirmation names the replica that
-- runs the call: that replica may confirm it again (a process that died before starting it),
-- no other. Written only through the function, as the signed-in agent.
CREATE TABLE deskterm.call_claims (
    key text PRIMARY KEY,
    decision text NOT NULL CHECK (decision IN ('confirm', 'dismiss')),
    agent text NOT NULL,
    replica text NOT NULL,
    at timestamptz NOT NULL
);
CREATE FUNCTION deskterm.claim_call(call_key text, wanted text, from_replica text)
RETURNS TABLE (decided text, decided_by text, decided_at timestamptz, won boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
BEGIN
    INSERT INTO call_claims VALUES (call_key, wanted, me, from_replica, now())
        ON CONFLICT (key) DO NOTHING;
    RETURN QUERY SELECT c.decision, c.agent, c.at,
            c.agent = me AND c.replica = from_replica AND c.decision = wanted
        FROM call_claims c WHERE c.key = call_key;
END $$;
CREATE FUNCTION deskterm.call_decision(call_key text, from_replica text)
RETURNS TABLE (decided text, decided_by text, decided_at timestamptz, won boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
DECLARE
    me text := signed_in_agent();
BEGIN
    RETURN QUERY SELECT c.decision, c.agent, c.at, c.agent = me AND c.replica = from_replica
        FROM call_claims c WHERE c.key = call_key;
END $$;
"""


def v13_records_in_order(lock: int) -> str:
    """V13: shared records numbered in commit order, under the transaction-wide advisory `lock`."""
    return f"""
-- A record's number comes from a sequence, and two writers could commit out of the order of their
-- numbers: a replica pulling between the two commits would move past the lower number and never
-- see that record. Writers now take a transaction-wide lock first, as events do, so numbers are
-- committed in order. The function of V9 stays as the body, under a name nobody may call.
ALTER FUNCTION deskterm.put_records(jsonb) RENAME TO put_records_unlocked;
REVOKE EXECUTE ON FUNCTION deskterm.put_records_unlocked(jsonb) FROM PUBLIC;
CREATE FUNCTION deskterm.put_records(given jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = deskterm, pg_catalog AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({lock});
    RETURN put_records_unlocked(given);
END $$;
"""
