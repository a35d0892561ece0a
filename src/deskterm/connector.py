"""The contract every channel implements, and the registry that finds them by entry point.

Built-in connectors live in the top-level `connectors/` folder (installed as deskterm.connectors);
third parties register theirs under the entry-point group ``deskterm.connectors`` the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import entry_points
from typing import Any, ClassVar

from deskterm.domain import Batch, Identity, MailboxChange, OrderSnapshot, Outbound, utcnow

ENTRY_POINT_GROUP = "deskterm.connectors"


class ConnectorError(Exception):
    """A connector failed in a way the user can act on; the message says what and where."""


class TemporaryError(ConnectorError):
    """Worth retrying later: network down, rate limited, server busy."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Retrying will not help: rejected by the server, bad address, bad credentials."""


@dataclass(frozen=True, slots=True)
class Account:
    """A configured account as stored in the `accounts` table (secrets live in the keyring)."""

    name: str
    connector: str
    channel: str
    address: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict) -> Account:
        return cls(
            name=row["name"],
            connector=row["connector"],
            channel=row["channel"],
            address=row["address"],
            settings=json.loads(row["settings"] or "{}"),
        )


@dataclass(frozen=True, slots=True)
class ConnectorAction:
    """A named operation on the channel (refund, cancel order, ...); always confirmed by a person."""

    name: str
    description: str
    run: Callable[[dict[str, Any]], str]


class Connector:
    """Base class of a channel. Subclasses override what their channel can do.

    `pull` yields batches; ingest stores each batch with its cursor in one transaction, so a crash
    between batches re-pulls at most one batch, which dedupe then ignores.
    """

    name: ClassVar[str]
    channel: ClassVar[str]
    can_send: ClassVar[bool] = False
    can_watch: ClassVar[bool] = False

    def __init__(self, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.account = account
        # Connectors read the time only through this, so the sync engine and tests can set it.
        self.clock = clock

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        """Yield new messages since the cursors (one per folder; '' for connectors without)."""
        return iter(())

    def send(self, outbound: Outbound) -> str:
        """Deliver one reply and return the channel's id for it."""
        raise PermanentError(f"{self.name} accounts cannot send replies")

    def confirm_sent(self, outbound: Outbound) -> str | None:
        """After a crash mid-send: the channel's id if `outbound` already left, else None.

        Connectors that cannot tell raise ConnectorError so the item waits for a person instead
        of risking a second copy.
        """
        raise ConnectorError(
            f"{self.name} cannot tell whether reply {outbound.message_id} was delivered; "
            "check the channel and retry or cancel it by hand"
        )

    def apply_changes(self, changes: list[MailboxChange]) -> Iterator[int]:
        """Make the channel's mailbox follow `changes` (deskterm.mailbox); yield each change_id
        once the channel has it. A change whose message is gone counts as applied.

        Connectors without a mailbox of their own apply nothing, and the changes stay queued.
        """
        return iter(())

    def watch(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for news; True when a pull is worth doing now."""
        return False

    def orders_for(self, identities: list[Identity]) -> list[OrderSnapshot]:
        return []

    def actions(self) -> list[ConnectorAction]:
        return []

    def close(self) -> None:
        """Release connections; called when the sync engine is done with the account."""


@cache
def registry() -> dict[str, type[Connector]]:
    """Every installed connector class by name, from the entry-point group."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.load()
    return found


def connector_for(account: Account, *, clock: Callable[[], datetime] = utcnow) -> Connector:
    try:
        cls = registry()[account.connector]
    except KeyError:
        known = ", ".join(sorted(registry())) or "none"
        raise ConnectorError(
            f"account {account.name!r} uses connector {account.connector!r}, which is not "
            f"installed (installed: {known})"
        ) from None
    return cls(account, clock=clock)
