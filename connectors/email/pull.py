"""IMAP pull: new mail per folder since its cursor, fetched and parsed in a pipeline, and IDLE.

A folder's cursor is its STATUS (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) as of the last batch
stored; a batch's cursor moves only past the mail it carries, so an interrupted pull resumes.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

from deskterm.connector import PermanentError
from deskterm.domain import Batch, InboundMessage
from deskterm.durations import DurationError, parse_duration
from deskterm.sync import pools

from . import fetch
from .imap import Session
from .parse import ParseOptions
from .workers import parse_pool, parse_raw, set_options, worker_count

# Fetched chunks queued for the parsers beyond the one being stored (a few MB of raw mail).
PARSE_AHEAD = 4
# Messages per parse job.
PARSE_JOB = 25
# Raw mail per fetched batch at most: with PARSE_AHEAD batches queued, a few hundred MB in memory.
CHUNK_BYTES = 48 * 1024 * 1024

# One fetched message as the parsers take it: raw mail, INTERNALDATE, where it was found.
Raw = tuple[bytes, datetime | None, str]


def since_date(value: str, today: date) -> date:
    """The day a first sync starts from: an ISO date ("2026-10-01") or an age ("90d", "12w")."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        pass
    try:
        return today - parse_duration(value)
    except DurationError:
        raise PermanentError(
            f"since {value!r} is neither a date like 2026-10-01 nor an age like 90d or 12w"
        ) from None
    except OverflowError:
        raise PermanentError(f"since {value!r} reaches back before the year 1") from None


def _cursors_after(chunks: list[list[int]], cursor: dict, status: dict, resync: bool) -> list[dict]:
    """The folder's cursor once each chunk is stored; the last one is the folder's STATUS."""
    final = dict(status)
    final["uidnext"] = max(status["uidnext"], chunks[-1][-1] + 1)
    between = [
        {
            "uidvalidity": status["uidvalidity"],
            "uidnext": chunk[-1] + 1,
            # Only the final batch may claim the folder's modseq; until then keep the old.
            "highestmodseq": None if resync else cursor.get("highestmodseq"),
        }
        for chunk in chunks[:-1]
    ]
    return [*between, final]


class Puller:
    """Pulls and watches the configured folders of one account through its session."""

    def __init__(
        self,
        session: Session,
        *,
        folders: list[str],
        batch_size: int,
        options: ParseOptions,
        clock: Callable[[], datetime],
    ) -> None:
        self.session = session
        self.settings: dict[str, Any] = session.settings
        self.folders = folders
        self.batch_size = batch_size
        self.options = options
        self.clock = clock
        # UIDNEXT per folder as last seen, so watch() can tell news that came before IDLE began.
        self._seen_uidnext: dict[str, int | None] = {}

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        """New mail per folder since its cursor, in batches of `batch_size`."""
        for folder in self.folders:
            yield from self._pull_folder(folder, cursors.get(folder) or {})

    def _pull_folder(self, folder: str, cursor: dict) -> Iterator[Batch]:
        client = self.session.client()
        status = self.session.folder_status(client, folder)
        self._seen_uidnext[folder] = status["uidnext"]
        if cursor and all(cursor.get(k) == v for k, v in status.items()):
            return
        self.session.examine(client, folder)
        try:
            yield from self._fetch_new(client, folder, cursor, status)
        finally:
            self.session.leave(client)

    def _fetch_new(self, client, folder: str, cursor: dict, status: dict) -> Iterator[Batch]:
        # A new UIDVALIDITY means the server renumbered the folder: walk it all again. External
        # ids come from Message-ID or the content hash, so ingest skips what it already has.
        resync = cursor.get("uidvalidity") != status["uidvalidity"]
        start = 1 if resync else int(cursor.get("uidnext") or 1)
        uids = self._new_uids(client, folder, start)
        if not uids:
            yield Batch([], dict(status), folder)
            return
        # Sizes first, so a folder of photo-sized mail is never fetched 500 messages at a time.
        sizes = (
            self.session.guard(f"FETCH {folder}", fetch.fetch_sizes, client, uids)
            if len(uids) > 1
            else None
        )
        chunks = fetch.chunks(uids, self.batch_size, sizes, CHUNK_BYTES)
        cursors = _cursors_after(chunks, cursor, status, resync)
        where = f"imap:{folder};UIDVALIDITY={status['uidvalidity']}"

        def fetch_chunk(chunk: list[int]) -> list[Raw]:
            fetched = self.session.guard(f"FETCH {folder}", fetch.fetch_bodies, client, chunk)
            # A UID missing here was expunged between SEARCH and FETCH.
            return [
                (fetched[uid][0], fetched[uid][1], f"{where}/;UID={uid}")
                for uid in chunk
                if uid in fetched
            ]

        workers = worker_count(len(uids), self.settings.get("parse_workers"))
        if workers <= 0:
            set_options(self.options)
            for chunk, after in zip(chunks, cursors, strict=True):
                yield Batch([parse_raw(m) for m in fetch_chunk(chunk)], after, folder)
            return
        with contextlib.closing(self._parse_in_pool(chunks, fetch_chunk, workers)) as parsed:
            for messages, after in zip(parsed, cursors, strict=True):
                yield Batch(messages, after, folder)

    def _new_uids(self, client, folder: str, start: int) -> list[int]:
        """UIDs from `start` on in the selected folder, oldest first."""
        criteria: list[str | date] = ["UID", f"{start}:*"]
        since = self.settings.get("since")
        if since and start == 1:
            # Walking the folder from the start: only mail that arrived since the configured day,
            # so connecting a ten-year mailbox does not open ten years of tickets. Mail that
            # arrives later is pulled whatever its date.
            criteria += ["SINCE", since_date(str(since), self.clock().date())]
        found = self.session.guard(f"SEARCH {folder}", client.search, criteria)
        return sorted(uid for uid in found if uid >= start)

    def _parse_in_pool(
        self,
        chunks: list[list[int]],
        fetch_chunk: Callable[[list[int]], list[Raw]],
        workers: int,
    ) -> Generator[list[InboundMessage]]:
        """Each chunk's messages, parsed by `workers` processes while later chunks are fetched.

        A thread fetches chunks (socket reads release the GIL) and hands each to the parser
        processes as soon as it arrives, up to PARSE_AHEAD chunks beyond the one the caller is
        storing, so the parsers never wait for the store. Only that thread touches the connection
        until the last fetch is done.
        """
        with parse_pool(self.options, workers) as pool, ThreadPoolExecutor(1) as fetcher:

            def fetch_and_parse(chunk: list[int]) -> list[Future[list[InboundMessage]]]:
                fetched = fetch_chunk(chunk)
                return [
                    pool.submit(pools.each, parse_raw, fetched[at : at + PARSE_JOB])
                    for at in range(0, len(fetched), PARSE_JOB)
                ]

            ahead = deque(fetcher.submit(fetch_and_parse, c) for c in chunks[:PARSE_AHEAD])
            for index in range(len(chunks)):
                jobs = ahead.popleft().result()
                if index + PARSE_AHEAD < len(chunks):
                    ahead.append(fetcher.submit(fetch_and_parse, chunks[index + PARSE_AHEAD]))
                yield [message for job in jobs for message in job.result()]

    def _changed(self, client, folder: str) -> bool:
        """True when `folder` got mail since the last pull (or was never pulled)."""
        if folder not in self._seen_uidnext:
            return True
        status = self.session.folder_status(client, folder)
        return status["uidnext"] != self._seen_uidnext[folder]

    def _any_changed(self, client) -> bool:
        return any(self._changed(client, folder) for folder in self.folders)

    def watch(self, timeout: float) -> bool:
        """Block up to `timeout` s on IMAP IDLE in the first folder; True when mail arrived.

        IDLE watches one folder per connection, so the others get a STATUS before each wait (the
        sync engine waits at most 10 s at a time). Servers without IDLE are polled: a STATUS of
        every folder after the wait.
        """
        client = self.session.client()
        if self._any_changed(client):
            return True
        if not client.has_capability("IDLE"):
            time.sleep(timeout)
            return self._any_changed(client)
        guard = self.session.guard
        self.session.examine(client, self.folders[0])
        guard("IDLE", client.idle)
        try:
            responses = guard("IDLE", client.idle_check, timeout)
        finally:
            if self.session.connected:
                guard("IDLE DONE", client.idle_done)
                self.session.leave(client)
        return any(
            len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses if isinstance(r, tuple)
        )
