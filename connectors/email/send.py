"""SMTP send with exactly-once bookkeeping: the reply's copy in Sent tells, after a crash, if it left.

Before the handover, the copy is appended to the Sent folder flagged $DesktermSending; once SMTP
accepted the reply, the flag is removed. A reply interrupted between handover and acceptance is
looked up by Message-ID in Sent (or, with append_sent off, in the folder where the provider files
sent mail): an unflagged copy means it left; anything else and a person must decide.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from deskterm.connector import ConnectorError, DeliveryUnknown, Handover, PermanentError
from deskterm.domain import Outbound

from . import smtp
from .compose import ComposeError, build_reply
from .imap import Session
from .parse import external_id_for

PENDING_FLAG = b"$DesktermSending"
_APPENDUID = re.compile(rb"APPENDUID \d+ (\d+)")
log = logging.getLogger(__name__)


def recipients(outbound: Outbound) -> list[str]:
    """Who the SMTP envelope names: the customer, then the reply's Cc."""
    return [outbound.to.value, *outbound.cc]


def sent_id(outbound: Outbound) -> str:
    """The external id of a sent reply: the one parse gives its copy, so a pull of Sent dedupes."""
    return external_id_for(b"", outbound.message_id)


class Sender:
    """Sends one account's replies over SMTP and files each in Sent through the IMAP session."""

    def __init__(self, session: Session, *, address: str, clock: Callable[[], datetime]) -> None:
        self.session = session
        self.settings: dict[str, Any] = session.settings
        self.address = address
        self.clock = clock
        self.sent_folder: str | None = self.settings.get("sent_folder", "Sent") or None

    def smtp(self) -> smtplib.SMTP:
        return smtp.connect(
            self.session.account,
            self.settings,
            username=self.session.username,
            tokens=self.session.tokens,
            tls=self.session.tls,
            timeout=self.session.timeout,
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
            smtp.deliver(
                self.smtp(), self.address, recipients(outbound), raw, handover, external_id
            )
            return external_id
        client = self.session.client()
        try:
            folder = self._filing_folder(client, self.sent_folder)
            self._send_filed(client, folder, outbound, raw, handover)
        finally:
            self.session.leave(client)
        return external_id

    def _send_filed(
        self, client, folder: str, outbound: Outbound, raw: bytes, handover: Handover
    ) -> None:
        to, external_id = recipients(outbound), sent_id(outbound)
        guard = self.session.guard
        if not self._keywords_allowed(client, folder):
            # Without keywords there is no in-flight marker; file the copy once SMTP took it.
            smtp.deliver(self.smtp(), self.address, to, raw, handover, external_id)
            guard("APPEND", client.append, folder, raw, [b"\\Seen"])
            return
        self._drop_unsent_copies(client, folder, outbound.message_id)
        response = guard("APPEND", client.append, folder, raw, [b"\\Seen", PENDING_FLAG])
        found = _APPENDUID.search(response or b"")
        uids = (
            [int(found.group(1))]
            if found
            else self.session.search_message_id(client, folder, outbound.message_id)
        )

        def settle() -> None:
            try:
                guard("STORE", client.remove_flags, uids, [PENDING_FLAG])
            except ConnectorError as exc:  # the reply is recorded as sent; only the mark stays
                log.warning("could not clear the in-flight mark of %s: %s", uids, exc)

        try:
            smtp.deliver(self.smtp(), self.address, to, raw, handover, external_id, settle)
        except DeliveryUnknown:
            raise  # the flagged copy stays: it tells what happened
        except ConnectorError:
            # Refused, or never handed over: the copy must not later pass for a sent reply.
            guard("STORE", client.delete_messages, uids)
            guard("EXPUNGE", client.uid_expunge, uids)
            raise

    def _keywords_allowed(self, client, folder: str) -> bool:
        info = self.session.select_writable(client, folder)
        return b"\\*" in (info.get(b"PERMANENTFLAGS") or ())

    def _drop_unsent_copies(self, client, folder: str, message_id: str) -> None:
        """Delete in-flight copies an earlier, interrupted try left: this pass holds the reply's
        lease and nothing has been handed over, so none of them was sent."""
        guard = self.session.guard
        uids = self.session.search_message_id(client, folder, message_id)
        flags = guard("FETCH FLAGS", client.get_flags, uids) if uids else {}
        stale = [uid for uid, found in flags.items() if PENDING_FLAG in found]
        if stale:
            guard("STORE", client.delete_messages, stale)
            guard("EXPUNGE", client.uid_expunge, stale)

    def _filing_folder(self, client, configured: str) -> str:
        """The folder a reply's copy is filed in: the one named in the settings, else the server's
        own Sent; a mailbox without it gets it created, as mail clients do, so sends never fail."""
        found = self._sent_mailbox(client)
        if found is None or ("sent_folder" in self.settings and found != configured):
            self.session.guard("CREATE", client.create_folder, configured)
            return configured
        return found

    def _sent_mailbox(self, client) -> str | None:
        """Where sent mail lands: the configured folder, else the one the server marks \\Sent
        (RFC 6154; Gmail's "[Gmail]/Sent Mail", where it files what its SMTP sent)."""
        folders = self.session.guard("LIST", client.list_folders)
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
        client = self.session.client()
        folder = self._sent_mailbox(client)
        if folder is None:
            raise ConnectorError(unknown.format("the account has no Sent folder to look in"))
        self.session.examine(client, folder)
        try:
            uids = self.session.search_message_id(client, folder, outbound.message_id)
            flags = self.session.guard("FETCH FLAGS", client.get_flags, uids) if uids else {}
        finally:
            self.session.leave(client)
        if not uids:
            raise ConnectorError(unknown.format(f"{folder} has no copy of it"))
        # A finished copy settles it, even beside a stale in-flight one from an earlier attempt.
        if all(PENDING_FLAG in f for f in flags.values()):
            raise ConnectorError(unknown.format("its copy in Sent is still marked in flight"))
        return sent_id(outbound)
