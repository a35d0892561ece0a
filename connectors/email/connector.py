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

Each job has its module: imap.py (the connection), pull.py (new mail and IDLE, reading FETCH
answers through fetch.py), send.py (SMTP with the Sent copy that makes sending exactly once, see
also smtp.py) and changes.py (flags and moves that follow the desk). This class wires them to
the connector contract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, ClassVar

from deskterm.connector import (
    Account,
    Connector,
    Field,
    Handover,
    Importer,
    NewAccount,
    PermanentError,
)
from deskterm.domain import Batch, MailboxChange, Outbound, utcnow
from deskterm.store.attachments import AttachmentStore, data_dir

from . import accounts, auth
from .changes import apply_changes
from .imap import Session
from .importer import MAILDIR, MBOX
from .parse import ParseOptions
from .pull import Puller
from .send import Sender


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
        self.session = Session(
            account,
            username=self.username,
            tokens=auth.TokenSource(account) if s.get("auth") == "xoauth2" else None,
            timeout=float(s.get("timeout", 30)),
        )
        options = ParseOptions(
            account=account.name,
            own_addresses=frozenset(filter(None, [self.address])),
            attachments=AttachmentStore(data_dir(s) / "attachments"),
            max_attachment_bytes=int(float(s.get("max_attachment_mb", 50)) * 1024 * 1024),
        )
        self.puller = Puller(
            self.session,
            folders=self.folders,
            batch_size=int(s.get("batch_size", 500)),
            options=options,
            clock=clock,
        )
        self.sender = Sender(self.session, address=self.address, clock=clock)

    def close(self) -> None:
        self.session.drop()

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        """New mail per folder since its cursor, in batches of `batch_size`."""
        return self.puller.pull(cursors)

    def watch(self, timeout: float) -> bool:
        """Block up to `timeout` s on IMAP IDLE in the first folder; True when mail arrived."""
        return self.puller.watch(timeout)

    def send(self, outbound: Outbound, handover: Handover) -> str:
        """SMTP the reply and file it in Sent, so confirm_sent can tell later that it left."""
        return self.sender.send(outbound, handover)

    def confirm_sent(self, outbound: Outbound) -> str | None:
        """The reply's id when Sent holds a finished copy; otherwise nobody can tell (raises)."""
        return self.sender.confirm_sent(outbound)

    def apply_changes(self, changes: list[MailboxChange]) -> Iterator[int]:
        """Flag read mail \\Seen and move solved mail to `archive_folder`, as configured."""
        return apply_changes(self.session, changes)

    def test(self) -> Iterator[str]:
        """Log in to IMAP and SMTP and check the folders, yielding a line per check that passed."""
        client = self.session.client()
        yield f"IMAP login to {self.session.host} as {self.username}"
        names = {f[2] for f in self.session.guard("LIST", client.list_folders)}
        archive = self.settings.get("archive_folder")
        for folder in [*self.folders, *filter(None, [self.sender.sent_folder, archive])]:
            if folder not in names:
                raise PermanentError(
                    f"folder {folder!r} does not exist on the server (it has: "
                    f"{', '.join(sorted(names))})"
                )
            yield f"folder {folder}"
        yield f"IDLE: {'yes' if client.has_capability('IDLE') else 'no, will poll'}"
        self.sender.smtp().quit()
        yield f"SMTP login to {self.settings.get('smtp_host') or self.settings.get('host')}"
