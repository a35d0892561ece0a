"""EmailConnector: IMAP pull with per-folder cursors, IDLE, SMTP send with exactly-once bookkeeping.

Account settings (JSON in the accounts table; the password or token comes from deskterm.secrets):

    host, port, security ("ssl" | "starttls" | "none"), username (default: the account address),
    folders (default ["INBOX"]), auth ("password" | "xoauth2"), token_command, oauth_token_url,
    oauth_client_id, smtp_host, smtp_port, smtp_security, smtp_username, sent_folder ("Sent"),
    append_sent (true; false for Gmail, which files sent mail itself), display_name,
    batch_size (500), max_attachment_mb (50), data_dir, timeout (seconds, 30),
    parse_workers (processes for big pulls; default: one per core from 2,000 messages on),
    tls_verify (true; false only for a self-signed test server),
    mark_seen (false; true flags mail \\Seen once an agent opened or answered its ticket),
    archive_folder (unset; a folder name moves a solved ticket's mail there, see deskterm.mailbox),
    since (unset: all mail; "2026-10-01" or "90d": a first sync pulls only mail from that day on)

Exactly once: the sync engine holds each reply under a lease and records when it is handed over
(just before SMTP DATA) and when the server accepted it (its 250, before anything else), see
smtp.py. Before the handover, its copy is appended to the Sent folder flagged $DesktermSending;
once SMTP accepted it, the flag is removed. A reply interrupted between handover and acceptance
is looked up by Message-ID in Sent (or, with append_sent off, in the folder where the provider
files sent mail): an unflagged copy means it left; anything else and a person must decide (the
contract's ConnectorError). It is never sent again on a guess.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from deskterm.connector import (
    Account,
    Connector,
    ConnectorError,
    DeliveryUnknown,
    Field,
    Handover,
    Importer,
    NewAccount,
    PermanentError,
    TemporaryError,
)
from deskterm.domain import Batch, InboundMessage, MailboxChange, Outbound, utcnow
from deskterm.durations import DurationError, parse_duration
from deskterm.store.attachments import AttachmentStore, data_dir
from deskterm.sync import pools

from . import accounts, auth, smtp
from .compose import ComposeError, build_reply
from .importer import MAILDIR, MBOX
from .parse import ParseOptions, external_id_for
from .workers import parse_pool, parse_raw, set_options, worker_count

SEEN = MailboxChange.SEEN

PENDING_FLAG = b"$DesktermSending"
FETCH_ITEMS = [b"BODY.PEEK[]", b"INTERNALDATE"]
# Fetched chunks queued for the parsers beyond the one being stored (a few MB of raw mail).
PARSE_AHEAD = 4
# Messages per parse job.
PARSE_JOB = 25
# Raw mail per fetched batch at most: with PARSE_AHEAD batches queued, a few hundred MB in memory.
CHUNK_BYTES = 48 * 1024 * 1024
log = logging.getLogger(__name__)
_APPENDUID = re.compile(rb"APPENDUID \d+ (\d+)")
# Where pull found a message (its raw_path): "imap:FOLDER;UIDVALIDITY=V/;UID=U" (RFC 5092 style).
_LOCATION = re.compile(r"imap:(?P<folder>.+);UIDVALIDITY=(?P<validity>\d+)/;UID=(?P<uid>\d+)")


class _NoSuchFolder(Exception):
    """The server says the folder an IMAP step named does not exist."""


def _no_such_folder(exc: Exception) -> bool:
    text = str(exc)
    return "TRYCREATE" in text or "exist" in text.lower()


def _imap_errors():
    from imapclient.exceptions import IMAPClientError, LoginError

    return IMAPClientError, LoginError


_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_DATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
# RFC 3501 date-time: "17-Jul-1996 02:44:25 -0700", the day possibly space-padded.
_INTERNALDATE = re.compile(
    rb"([ \d]?\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
)
_MONTHS = {
    name: number
    for number, name in enumerate(b"JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)
}


def _fetch_bodies(client, uids: list[int]) -> dict[int, tuple[bytes, datetime | None]]:
    """UID -> (raw message, INTERNALDATE) for `uids`.

    Measured: IMAPClient's generic FETCH parser reads about 9,000 messages/s from a local
    Dovecot, a third of the time budget of a 3,000/s sync; the literal-plus-regex read of the
    same imaplib response does 60,000/s. Anything unexpected goes through IMAPClient instead.
    """
    imap = getattr(client, "_imap", None)
    if imap is None:
        return _fetch_generic(client, uids)
    typ, data = imap.uid("FETCH", ",".join(map(str, uids)), "(UID INTERNALDATE BODY.PEEK[])")
    if typ != "OK":
        raise TemporaryError(f"FETCH failed: {data!r}")
    found: dict[int, tuple[bytes, datetime | None]] = {}
    for item in data:
        if not isinstance(item, tuple):
            continue  # ")" closers and unsolicited FLAGS updates
        uid = _FETCH_UID.search(item[0])
        if uid is None:
            return _fetch_generic(client, uids)
        date = _FETCH_DATE.search(item[0])
        found[int(uid.group(1))] = (item[1], _internaldate(date.group(1)) if date else None)
    return found


def _fetch_generic(client, uids: list[int]) -> dict[int, tuple[bytes, datetime | None]]:
    fetched = client.fetch(uids, FETCH_ITEMS)
    return {
        uid: (item[b"BODY[]"], _utc(item.get(b"INTERNALDATE")))
        for uid, item in fetched.items()
        if b"BODY[]" in item
    }


def _internaldate(text: bytes) -> datetime | None:
    """An INTERNALDATE in UTC, None when malformed (strptime took a quarter of the fetch time)."""
    found = _INTERNALDATE.fullmatch(text.strip())
    month = _MONTHS.get(found.group(2).upper()) if found else None
    if found is None or month is None:
        return None
    day, _, year, hour, minute, second, sign, zone_hours, zone_minutes = found.groups()
    offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    try:
        local = datetime(
            int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None
    return local - offset if sign == b"+" else local + offset


def _utc(moment: datetime | None) -> datetime | None:
    """INTERNALDATE in UTC: IMAPClient's own tzinfo class cannot be pickled to parser processes."""
    return moment.astimezone(UTC) if moment is not None else None


def _chunks(
    uids: list[int], size: int, sizes: dict[int, int] | None = None, budget: int = 0
) -> list[list[int]]:
    """`uids` in batches that start at an eighth of `size` and double up to it.

    The first batch reaches the store while later ones are still being fetched and parsed, so the
    writer starts at once instead of waiting for a whole large batch to be parsed. With the
    messages' `sizes`, a batch also ends before its raw mail passes `budget` bytes (a message
    bigger than that gets a batch of its own).
    """
    chunks: list[list[int]] = []
    step = max(1, size // 8)
    chunk: list[int] = []
    held = 0
    for uid in uids:
        weight = sizes.get(uid, 0) if sizes else 0
        if chunk and (len(chunk) == step or (sizes and held + weight > budget)):
            chunks.append(chunk)
            step = min(size, step * 2)
            chunk, held = [], 0
        chunk.append(uid)
        held += weight
    if chunk:
        chunks.append(chunk)
    return chunks


_FETCH_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


def _fetch_sizes(client, uids: list[int]) -> dict[int, int]:
    """UID -> size in bytes of each of `uids`, in one FETCH of the UID range."""
    imap = getattr(client, "_imap", None)
    if imap is not None:
        typ, data = imap.uid("FETCH", f"{uids[0]}:{uids[-1]}", "(UID RFC822.SIZE)")
        if typ != "OK":
            raise TemporaryError(f"FETCH RFC822.SIZE failed: {data!r}")
        found = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            uid, size = _FETCH_UID.search(line or b""), _FETCH_SIZE.search(line or b"")
            if uid and size:
                found[int(uid.group(1))] = int(size.group(1))
        return found
    fetched = client.fetch(uids, [b"RFC822.SIZE"])
    return {uid: item[b"RFC822.SIZE"] for uid, item in fetched.items() if b"RFC822.SIZE" in item}


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


def sent_id(outbound: Outbound) -> str:
    """The external id of a sent reply: the one parse gives its copy, so a pull of Sent dedupes."""
    return external_id_for(b"", outbound.message_id)


class EmailConnector(Connector):
    name: ClassVar[str] = "email"
    channel: ClassVar[str] = "email"
    can_send: ClassVar[bool] = True
    can_watch: ClassVar[bool] = True
    reports_handover: ClassVar[bool] = True
    account_help: ClassVar[str] = accounts.HELP
    account_fields: ClassVar[tuple[Field, ...]] = accounts.FIELDS
    importers: ClassVar[tuple[Importer, ...]] = (MAILDIR, MBOX)

    @classmethod
    def new_account(cls, name: str, values: dict[str, Any], today: date) -> NewAccount:
        return accounts.new_account(values, today)

    def __init__(self, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(account, clock=clock)
        s = account.settings
        self.settings: dict[str, Any] = s
        self.address = (account.address or s.get("username") or "").lower()
        self.username = s.get("username") or account.address
        self.folders: list[str] = list(s.get("folders") or ["INBOX"])
        self.sent_folder: str | None = s.get("sent_folder", "Sent") or None
        self.batch_size = int(s.get("batch_size", 500))
        self.timeout = float(s.get("timeout", 30))
        self.options = ParseOptions(
            account=account.name,
            own_addresses=frozenset(filter(None, [self.address])),
            attachments=AttachmentStore(data_dir(s) / "attachments"),
            max_attachment_bytes=int(float(s.get("max_attachment_mb", 50)) * 1024 * 1024),
        )
        self._client = None
        self._tokens = auth.TokenSource(account) if s.get("auth") == "xoauth2" else None
        # UIDNEXT per folder as last seen, so watch() can tell news that came before IDLE began.
        self._seen_uidnext: dict[str, int | None] = {}
        # The folder selected read-write, if any (see _leave).
        self._writable: str | None = None

    # -- connections ----------------------------------------------------------------------

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.get("tls_verify") is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _imap(self):
        """A logged-in IMAPClient, reconnecting when the last one dropped."""
        if self._client is not None:
            return self._client
        from imapclient import IMAPClient

        client_error, login_error = _imap_errors()
        security = self.settings.get("security", "ssl")
        host = self.settings.get("host")
        if not host:
            raise PermanentError(f"account {self.account.name!r} has no IMAP host configured")
        port = int(self.settings.get("port") or (993 if security == "ssl" else 143))
        client = None
        try:
            client = IMAPClient(
                host,
                port=port,
                ssl=security == "ssl",
                ssl_context=self._tls() if security == "ssl" else None,
                timeout=self.timeout,
            )
            if security == "starttls":
                client.starttls(self._tls())
            client.normalise_times = False
            # IMAPClient turns imaplib's own tracing to its highest level and hands it to a logger,
            # so every response, each fetched message included, is formatted with repr() even
            # when nothing logs it: a third of a big FETCH's time. Trace only when it is wanted.
            if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
                client._imap.debug = 0
            if self._tokens is not None:
                client.oauth2_login(self.username, self._tokens.token())
            else:
                client.login(self.username, auth.password(self.account))
        except BaseException as exc:
            if client is not None:
                with contextlib.suppress(OSError):
                    client.shutdown()
            if isinstance(exc, login_error):
                raise PermanentError(
                    f"IMAP login to {host} as {self.username} was refused: {exc}"
                ) from exc
            if isinstance(exc, client_error | OSError):
                raise TemporaryError(f"cannot reach IMAP server {host}:{port}: {exc}") from exc
            raise
        self._client = client
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._writable = None
        if client is not None:
            try:
                client.logout()
            except Exception:  # already broken: just close the socket
                with contextlib.suppress(OSError):
                    client.shutdown()

    def close(self) -> None:
        self._drop()

    def _guard(self, what: str, func, *args, names_folder: bool = False):
        """Run one IMAP step; a broken connection becomes a TemporaryError and is dropped.

        With `names_folder`, the server saying the step's folder does not exist (NO, or
        TRYCREATE for a copy target) raises _NoSuchFolder instead, for the caller to judge.
        """
        client_error, _ = _imap_errors()
        try:
            return func(*args)
        except ConnectorError:
            raise
        except (client_error, OSError) as exc:
            if names_folder and isinstance(exc, client_error) and _no_such_folder(exc):
                raise _NoSuchFolder(str(exc)) from exc
            self._drop()
            raise TemporaryError(
                f"IMAP {what} failed on {self.settings.get('host')}: {exc}"
            ) from exc

    # -- pulling ----------------------------------------------------------------------------

    def _status(self, client, folder: str) -> dict[str, int | None]:
        items = [b"UIDVALIDITY", b"UIDNEXT"]
        if client.has_capability("CONDSTORE"):
            items.append(b"HIGHESTMODSEQ")
        status = client.folder_status(folder, items)
        return {
            "uidvalidity": status[b"UIDVALIDITY"],
            "uidnext": status[b"UIDNEXT"],
            "highestmodseq": status.get(b"HIGHESTMODSEQ"),
        }

    def _folder_status(self, client, folder: str) -> dict[str, int | None]:
        """STATUS of a configured folder; a folder the server does not have is a setup error."""
        try:
            return self._guard(f"STATUS {folder}", self._status, client, folder, names_folder=True)
        except _NoSuchFolder as exc:
            raise PermanentError(
                f"folder {folder!r} does not exist on {self.settings.get('host')}; "
                f"fix the folders of account {self.account.name!r}"
            ) from exc

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        """New mail per folder since its cursor, in batches of `batch_size`."""
        for folder in self.folders:
            yield from self._pull_folder(folder, cursors.get(folder) or {})

    def _pull_folder(self, folder: str, cursor: dict) -> Iterator[Batch]:
        client = self._imap()
        status = self._folder_status(client, folder)
        self._seen_uidnext[folder] = status["uidnext"]
        if cursor and all(cursor.get(k) == v for k, v in status.items()):
            return
        self._guard(f"SELECT {folder}", client.select_folder, folder, True)
        try:
            yield from self._fetch_new(client, folder, cursor, status)
        finally:
            self._leave(client)

    def _leave(self, client) -> None:
        """Deselect: STATUS on a selected folder answers from the session's stale view.

        UNSELECT where offered: CLOSE on a folder selected read-write expunges every message
        flagged \\Deleted in it, the user's own included. Without UNSELECT, a read-write folder is
        examined (read-only) again first, so CLOSE expunges nothing.
        """
        writable, self._writable = self._writable, None
        if self._client is None:
            return
        if client.has_capability("UNSELECT"):
            self._guard("UNSELECT", client.unselect_folder)
            return
        if writable is not None:
            self._guard(f"EXAMINE {writable}", client.select_folder, writable, True)
        self._guard("CLOSE", client.close_folder)

    def _select_writable(self, client, folder: str, *, names_folder: bool = False) -> dict:
        info = self._guard(
            f"SELECT {folder}", client.select_folder, folder, names_folder=names_folder
        )
        self._writable = folder
        return info

    def _fetch_new(self, client, folder: str, cursor: dict, status: dict) -> Iterator[Batch]:
        # A new UIDVALIDITY means the server renumbered the folder: walk it all again. External
        # ids come from Message-ID or the content hash, so ingest skips what it already has.
        resync = cursor.get("uidvalidity") != status["uidvalidity"]
        start = 1 if resync else int(cursor.get("uidnext") or 1)
        criteria: list[str | date] = ["UID", f"{start}:*"]
        since = self.settings.get("since")
        if since and start == 1:
            # Walking the folder from the start: only mail that arrived since the configured day,
            # so connecting a ten-year mailbox does not open ten years of tickets. Mail that
            # arrives later is pulled whatever its date.
            criteria += ["SINCE", since_date(str(since), self.clock().date())]
        found = self._guard(f"SEARCH {folder}", client.search, criteria)
        uids = sorted(uid for uid in found if uid >= start)
        final = dict(status)
        if uids:
            final["uidnext"] = max(status["uidnext"], uids[-1] + 1)
        if not uids:
            yield Batch([], final, folder)
            return
        # Sizes first, so a folder of photo-sized mail is never fetched 500 messages at a time.
        sizes = (
            self._guard(f"FETCH {folder}", _fetch_sizes, client, uids) if len(uids) > 1 else None
        )
        chunks = _chunks(uids, self.batch_size, sizes, CHUNK_BYTES)

        def cursor_after(index: int) -> dict:
            if index == len(chunks) - 1:
                return final
            return {
                "uidvalidity": status["uidvalidity"],
                "uidnext": chunks[index][-1] + 1,
                # Only the final batch may claim the folder's modseq; until then keep the old.
                "highestmodseq": None if resync else cursor.get("highestmodseq"),
            }

        def fetch(chunk: list[int]) -> list[tuple[bytes, datetime | None, str]]:
            fetched = self._guard(f"FETCH {folder}", _fetch_bodies, client, chunk)
            where = f"imap:{folder};UIDVALIDITY={status['uidvalidity']}"
            # A UID missing here was expunged between SEARCH and FETCH.
            return [
                (fetched[uid][0], fetched[uid][1], f"{where}/;UID={uid}")
                for uid in chunk
                if uid in fetched
            ]

        workers = worker_count(len(uids), self.settings.get("parse_workers"))
        if workers <= 0:
            set_options(self.options)
            for index, chunk in enumerate(chunks):
                yield Batch([parse_raw(m) for m in fetch(chunk)], cursor_after(index), folder)
            return
        # Pipeline: a thread fetches chunks (socket reads release the GIL) and hands each to the
        # parser processes as soon as it arrives, up to PARSE_AHEAD chunks beyond the one the
        # caller is storing, so the parsers never wait for the store. Only that thread touches
        # the connection until the last fetch is done.
        with parse_pool(self.options, workers) as pool, ThreadPoolExecutor(1) as fetcher:

            def fetch_and_parse(chunk: list[int]) -> list[Future[list[InboundMessage]]]:
                fetched = fetch(chunk)
                return [
                    pool.submit(pools.each, parse_raw, fetched[at : at + PARSE_JOB])
                    for at in range(0, len(fetched), PARSE_JOB)
                ]

            ahead = deque(fetcher.submit(fetch_and_parse, c) for c in chunks[:PARSE_AHEAD])
            for index in range(len(chunks)):
                jobs = ahead.popleft().result()
                if index + PARSE_AHEAD < len(chunks):
                    ahead.append(fetcher.submit(fetch_and_parse, chunks[index + PARSE_AHEAD]))
                parsed = [message for job in jobs for message in job.result()]
                yield Batch(parsed, cursor_after(index), folder)

    def _changed(self, client, folder: str) -> bool:
        """True when `folder` got mail since the last pull (or was never pulled)."""
        if folder not in self._seen_uidnext:
            return True
        status = self._folder_status(client, folder)
        return status["uidnext"] != self._seen_uidnext[folder]

    def _any_changed(self, client) -> bool:
        return any(self._changed(client, folder) for folder in self.folders)

    def watch(self, timeout: float) -> bool:
        """Block up to `timeout` s on IMAP IDLE in the first folder; True when mail arrived.

        IDLE watches one folder per connection, so the others get a STATUS before each wait (the
        sync engine waits at most 10 s at a time). Servers without IDLE are polled: a STATUS of
        every folder after the wait.
        """
        client = self._imap()
        folder = self.folders[0]
        if self._any_changed(client):
            return True
        if not client.has_capability("IDLE"):
            time.sleep(timeout)
            return self._any_changed(client)
        self._guard(f"SELECT {folder}", client.select_folder, folder, True)
        self._guard("IDLE", client.idle)
        try:
            responses = self._guard("IDLE", client.idle_check, timeout)
        finally:
            if self._client is not None:
                self._guard("IDLE DONE", client.idle_done)
                self._leave(client)
        return any(
            len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses if isinstance(r, tuple)
        )

    # -- sending ----------------------------------------------------------------------------

    def _smtp(self) -> smtplib.SMTP:
        return smtp.connect(
            self.account,
            self.settings,
            username=self.username,
            tokens=self._tokens,
            tls=self._tls,
            timeout=self.timeout,
        )

    def _keywords_allowed(self, client, folder: str) -> bool:
        info = self._select_writable(client, folder)
        return b"\\*" in (info.get(b"PERMANENTFLAGS") or ())

    def _find_sent(self, client, message_id: str) -> list[int]:
        return self._guard(
            f"SEARCH {self.sent_folder}", client.search, ["HEADER", "Message-ID", message_id]
        )

    def send(self, outbound: Outbound, handover: Handover) -> str:
        """SMTP the reply and file it in Sent, so confirm_sent can tell later that it left."""
        try:
            msg = build_reply(
                outbound, self.address, self.settings.get("display_name", ""), at=self.clock()
            )
        except ComposeError as exc:
            raise PermanentError(str(exc)) from exc
        raw = msg.as_bytes()
        external_id = sent_id(outbound)
        if not (self.sent_folder and self.settings.get("append_sent", True)):
            smtp.deliver(self._smtp(), self.address, outbound.to.value, raw, handover, external_id)
            return external_id
        client = self._imap()
        try:
            self._send_filed(
                client, self._filing_folder(client, self.sent_folder), outbound, raw, handover
            )
        finally:
            self._leave(client)
        return external_id

    def _send_filed(
        self, client, folder: str, outbound: Outbound, raw: bytes, handover: Handover
    ) -> None:
        to, external_id = outbound.to.value, sent_id(outbound)
        if not self._keywords_allowed(client, folder):
            # Without keywords there is no in-flight marker; file the copy once SMTP took it.
            smtp.deliver(self._smtp(), self.address, to, raw, handover, external_id)
            self._guard("APPEND", client.append, folder, raw, [b"\\Seen"])
            return
        self._drop_unsent_copies(client, outbound.message_id)
        response = self._guard("APPEND", client.append, folder, raw, [b"\\Seen", PENDING_FLAG])
        found = _APPENDUID.search(response or b"")
        uids = [int(found.group(1))] if found else self._find_sent(client, outbound.message_id)

        def settle() -> None:
            try:
                self._guard("STORE", client.remove_flags, uids, [PENDING_FLAG])
            except ConnectorError as exc:  # the reply is recorded as sent; only the mark stays
                log.warning("could not clear the in-flight mark of %s: %s", uids, exc)

        try:
            smtp.deliver(self._smtp(), self.address, to, raw, handover, external_id, settle)
        except DeliveryUnknown:
            raise  # the flagged copy stays: it tells what happened
        except ConnectorError:
            # Refused, or never handed over: the copy must not later pass for a sent reply.
            self._guard("STORE", client.delete_messages, uids)
            self._guard("EXPUNGE", client.uid_expunge, uids)
            raise

    def _drop_unsent_copies(self, client, message_id: str) -> None:
        """Delete in-flight copies an earlier, interrupted try left: this pass holds the reply's
        lease and nothing has been handed over, so none of them was sent."""
        uids = self._find_sent(client, message_id)
        flags = self._guard("FETCH FLAGS", client.get_flags, uids) if uids else {}
        stale = [uid for uid, found in flags.items() if PENDING_FLAG in found]
        if stale:
            self._guard("STORE", client.delete_messages, stale)
            self._guard("EXPUNGE", client.uid_expunge, stale)

    def _filing_folder(self, client, configured: str) -> str:
        """The folder a reply's copy is filed in: the one named in the settings, else the server's
        own Sent; a mailbox without it gets it created, as mail clients do, so sends never fail."""
        found = self._sent_mailbox(client)
        if found is None or ("sent_folder" in self.settings and found != configured):
            self._guard("CREATE", client.create_folder, configured)
            return configured
        return found

    def _sent_mailbox(self, client) -> str | None:
        """Where sent mail lands: the configured folder, else the one the server marks \\Sent
        (RFC 6154; Gmail's "[Gmail]/Sent Mail", where it files what its SMTP sent)."""
        folders = self._guard("LIST", client.list_folders)
        names = {name for _, _, name in folders}
        if self.sent_folder in names:
            return self.sent_folder
        marked = [name for flags, _, name in folders if b"\\Sent" in flags]
        return marked[0] if marked else None

    def confirm_sent(self, outbound: Outbound) -> str | None:
        """The reply's id when Sent holds a finished copy; otherwise nobody can tell (raises)."""
        unknown = (
            f"reply {outbound.message_id} was being handed to the mail server when deskterm "
            "stopped; it may or may not have reached the customer ({}). Check with them, then "
            "retry or cancel it by hand"
        )
        client = self._imap()
        folder = self._sent_mailbox(client)
        if folder is None:
            raise ConnectorError(unknown.format("the account has no Sent folder to look in"))
        self._guard(f"SELECT {folder}", client.select_folder, folder, True)
        try:
            uids = self._guard(
                f"SEARCH {folder}", client.search, ["HEADER", "Message-ID", outbound.message_id]
            )
            flags = self._guard("FETCH FLAGS", client.get_flags, uids) if uids else {}
        finally:
            self._leave(client)
        if not uids:
            raise ConnectorError(unknown.format(f"{folder} has no copy of it"))
        # A finished copy settles it, even beside a stale in-flight one from an earlier attempt.
        if all(PENDING_FLAG in f for f in flags.values()):
            raise ConnectorError(unknown.format("its copy in Sent is still marked in flight"))
        return sent_id(outbound)

    # -- the mailbox following the desk ---------------------------------------------------

    def apply_changes(self, changes: list[MailboxChange]) -> Iterator[int]:
        """Flag read mail \\Seen (`mark_seen`) and move solved mail to `archive_folder`.

        Archived mail is flagged \\Seen first when `mark_seen` is on. A change this account no
        longer wants, or whose message is not on the server (imported from a file, expunged, or
        already in the archive), counts as applied.
        """
        archive = self.settings.get("archive_folder") or None
        mark_seen = bool(self.settings.get("mark_seen"))
        by_folder: dict[str, list[tuple[MailboxChange, int, int]]] = {}
        for change in changes:
            found = _LOCATION.fullmatch(change.location or "")
            wanted = mark_seen if change.change == SEEN else archive is not None
            if found is None or not wanted or found["folder"] == archive:
                yield change.change_id
                continue
            where = (change, int(found["validity"]), int(found["uid"]))
            by_folder.setdefault(found["folder"], []).append(where)
        for folder, items in by_folder.items():
            yield from self._apply_in(folder, items, archive, mark_seen)

    def _apply_in(
        self,
        folder: str,
        items: list[tuple[MailboxChange, int, int]],
        archive: str | None,
        mark_seen: bool,
    ) -> Iterator[int]:
        client = self._imap()
        try:
            info = self._select_writable(client, folder, names_folder=True)
        except _NoSuchFolder:
            yield from (change.change_id for change, _, _ in items)  # the folder is gone
            return
        try:
            located: dict[int, int] = {}
            for change, validity, uid in items:
                if validity == info[b"UIDVALIDITY"]:
                    located[change.change_id] = uid
                elif change.message_id:  # the folder was renumbered: find it by Message-ID
                    found = self._guard(
                        f"SEARCH {folder}",
                        client.search,
                        ["HEADER", "Message-ID", change.message_id],
                    )
                    if found:
                        located[change.change_id] = found[0]
            yield from (c.change_id for c, _, _ in items if c.change_id not in located)
            seen = [c for c, _, _ in items if c.change_id in located and c.change == SEEN]
            moved = [c for c, _, _ in items if c.change_id in located and c.change != SEEN]
            flagged = seen + (moved if mark_seen else [])
            if flagged:
                uids = sorted({located[c.change_id] for c in flagged})
                self._guard("STORE", client.add_flags, uids, [b"\\Seen"], True)
            yield from (c.change_id for c in seen)
            if moved and archive is not None:
                self._move(client, sorted({located[c.change_id] for c in moved}), archive)
                yield from (c.change_id for c in moved)
        finally:
            self._leave(client)

    def _move(self, client, uids: list[int], folder: str) -> None:
        def move() -> None:
            if client.has_capability("MOVE"):
                client.move(uids, folder)
            elif client.has_capability("UIDPLUS"):
                client.copy(uids, folder)
                client.delete_messages(uids, True)
                client.uid_expunge(uids)  # only these, not the user's own deleted mail
            else:
                raise PermanentError(
                    f"{self.settings.get('host')} offers neither MOVE nor UIDPLUS, so archiving "
                    f"would expunge other deleted mail; unset archive_folder of account "
                    f"{self.account.name!r}"
                )

        try:
            self._guard(f"MOVE to {folder}", move, names_folder=True)
        except _NoSuchFolder as exc:
            raise PermanentError(
                f"archive folder {folder!r} does not exist on {self.settings.get('host')}; "
                f"create it or fix archive_folder of account {self.account.name!r}"
            ) from exc

    # -- checks -----------------------------------------------------------------------------

    def test(self) -> Iterator[str]:
        """Log in to IMAP and SMTP and check the folders, yielding a line per check that passed."""
        client = self._imap()
        yield f"IMAP login to {self.settings.get('host')} as {self.username}"
        names = {f[2] for f in self._guard("LIST", client.list_folders)}
        archive = self.settings.get("archive_folder")
        for folder in [*self.folders, *filter(None, [self.sent_folder, archive])]:
            if folder not in names:
                raise PermanentError(
                    f"folder {folder!r} does not exist on the server (it has: "
                    f"{', '.join(sorted(names))})"
                )
            yield f"folder {folder}"
        yield f"IDLE: {'yes' if client.has_capability('IDLE') else 'no, will poll'}"
        self._smtp().quit()
        yield f"SMTP login to {self.settings.get('smtp_host') or self.settings.get('host')}"
