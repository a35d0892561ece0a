"""One account's IMAP connection: log in, reconnect after a drop, run each step through one guard.

Pulling, sending and the mailbox changes all share it, so a broken connection is dropped once and
every step's failure reads the same: a TemporaryError naming the step and the server.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from typing import Any

from deskterm.connector import Account, ConnectorError, PermanentError, TemporaryError

from . import auth


class NoSuchFolder(Exception):
    """The server says the folder an IMAP step named does not exist."""


def _no_such_folder(exc: Exception) -> bool:
    text = str(exc)
    return "TRYCREATE" in text or "exist" in text.lower()


def _imap_errors():
    from imapclient.exceptions import IMAPClientError, LoginError

    return IMAPClientError, LoginError


class Session:
    """The logged-in IMAPClient of one account, opened when first needed."""

    def __init__(
        self,
        account: Account,
        *,
        username: str,
        tokens: auth.TokenSource | None,
        timeout: float,
    ) -> None:
        self.account = account
        self.settings: dict[str, Any] = account.settings
        self.username = username
        self.tokens = tokens
        self.timeout = timeout
        self._client = None
        # The folder selected read-write, if any (see leave).
        self._writable: str | None = None

    @property
    def host(self) -> str | None:
        return self.settings.get("host")

    @property
    def connected(self) -> bool:
        return self._client is not None

    def tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.get("tls_verify") is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def client(self):
        """A logged-in IMAPClient, reconnecting when the last one dropped."""
        if self._client is None:
            self._client = self._login()
        return self._client

    def _login(self):
        from imapclient import IMAPClient

        client_error, login_error = _imap_errors()
        security = self.settings.get("security", "ssl")
        host = self.host
        if not host:
            raise PermanentError(f"account {self.account.name!r} has no IMAP host configured")
        port = int(self.settings.get("port") or (993 if security == "ssl" else 143))
        client = None
        try:
            client = IMAPClient(
                host,
                port=port,
                ssl=security == "ssl",
                ssl_context=self.tls() if security == "ssl" else None,
                timeout=self.timeout,
            )
            self._prepare(client, security)
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
        return client

    def _prepare(self, client, security: str) -> None:
        """STARTTLS where asked, quiet tracing, then the login."""
        if security == "starttls":
            client.starttls(self.tls())
        client.normalise_times = False
        # IMAPClient turns imaplib's own tracing to its highest level and hands it to a logger,
        # so every response, each fetched message included, is formatted with repr() even
        # when nothing logs it: a third of a big FETCH's time. Trace only when it is wanted.
        if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
            client._imap.debug = 0
        if self.tokens is not None:
            client.oauth2_login(self.username, self.tokens.token())
        else:
            client.login(self.username, auth.password(self.account))

    def drop(self) -> None:
        client, self._client = self._client, None
        self._writable = None
        if client is not None:
            try:
                client.logout()
            except Exception:  # already broken: just close the socket
                with contextlib.suppress(OSError):
                    client.shutdown()

    def guard(self, what: str, func, *args, names_folder: bool = False):
        """Run one IMAP step; a broken connection becomes a TemporaryError and is dropped.

        With `names_folder`, the server saying the step's folder does not exist (NO, or
        TRYCREATE for a copy target) raises NoSuchFolder instead, for the caller to judge.
        """
        client_error, _ = _imap_errors()
        try:
            return func(*args)
        except ConnectorError:
            raise
        except (client_error, OSError) as exc:
            if names_folder and isinstance(exc, client_error) and _no_such_folder(exc):
                raise NoSuchFolder(str(exc)) from exc
            self.drop()
            raise TemporaryError(f"IMAP {what} failed on {self.host}: {exc}") from exc

    def examine(self, client, folder: str) -> None:
        """Select `folder` read-only."""
        self.guard(f"SELECT {folder}", client.select_folder, folder, True)

    def select_writable(self, client, folder: str, *, names_folder: bool = False) -> dict:
        info = self.guard(
            f"SELECT {folder}", client.select_folder, folder, names_folder=names_folder
        )
        self._writable = folder
        return info

    def leave(self, client) -> None:
        """Deselect: STATUS on a selected folder answers from the session's stale view.

        UNSELECT where offered: CLOSE on a folder selected read-write expunges every message
        flagged \\Deleted in it, the user's own included. Without UNSELECT, a read-write folder is
        examined (read-only) again first, so CLOSE expunges nothing.
        """
        writable, self._writable = self._writable, None
        if self._client is None:
            return
        if client.has_capability("UNSELECT"):
            self.guard("UNSELECT", client.unselect_folder)
            return
        if writable is not None:
            self.examine(client, writable)
        self.guard("CLOSE", client.close_folder)

    def search_message_id(self, client, folder: str, message_id: str) -> list[int]:
        """UIDs in the selected `folder` of the mail with this Message-ID."""
        return self.guard(f"SEARCH {folder}", client.search, ["HEADER", "Message-ID", message_id])

    def folder_status(self, client, folder: str) -> dict[str, int | None]:
        """STATUS of a configured folder; a folder the server does not have is a setup error."""
        try:
            return self.guard(f"STATUS {folder}", _status, client, folder, names_folder=True)
        except NoSuchFolder as exc:
            raise PermanentError(
                f"folder {folder!r} does not exist on {self.host}; "
                f"fix the folders of account {self.account.name!r}"
            ) from exc


def _status(client, folder: str) -> dict[str, int | None]:
    items = [b"UIDVALIDITY", b"UIDNEXT"]
    if client.has_capability("CONDSTORE"):
        items.append(b"HIGHESTMODSEQ")
    status = client.folder_status(folder, items)
    return {
        "uidvalidity": status[b"UIDVALIDITY"],
        "uidnext": status[b"UIDNEXT"],
        "highestmodseq": status.get(b"HIGHESTMODSEQ"),
    }
