"""The contract every channel implements, and the registry that finds them by entry point.

Built-in connectors live in the top-level `connectors/` folder (installed as deskterm.connectors);
third parties register theirs under the entry-point group ``deskterm.connectors`` the same way.

Besides pulling and sending, a connector brings its own command-line pieces, as data, so core
never imports a connector and a connector never imports the CLI:

- ``account_fields`` + ``new_account``: the options of ``deskterm account add NAME`` (see
  `Connector.new_account` for the whole hook);
- ``importers``: ``deskterm import KIND PATH`` for archives it can read (see `Importer`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Protocol

from deskterm.domain import (
    Account,
    Attachment,
    Batch,
    Identity,
    InboundMessage,
    MailboxChange,
    OrderSnapshot,
    Outbound,
    utcnow,
)

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


class DeliveryUnknown(ConnectorError):
    """The channel may or may not have the reply: the connection broke while it was handed over.
    Never retried; it waits for a person."""


class LeaseLost(ConnectorError):
    """Another sending pass took the reply over (this one stalled past its lease): stop, send
    nothing."""


class Handover(Protocol):
    """What a connector reports while it sends one reply (see Connector.send)."""

    def handing(self) -> None:
        """The channel may have the reply from now on; raises LeaseLost if it is not ours."""

    def accepted(self, external_id: str) -> None:
        """The channel confirmed it has the reply."""


@dataclass(frozen=True, slots=True)
class Field:
    """One option of `deskterm account add CONNECTOR NAME`, or one value a connector action asks
    for (ConnectorAction.fields), declared by the connector.

    `name` is the option as typed without dashes ("smtp-host"); its value reaches `new_account`
    under the name with underscores ("smtp_host").
    """

    name: str
    help: str
    default: Any = None
    type: type = str  # str, int, or bool (a --name/--no-name switch)
    prompt: str | None = None  # asked for when the option is missing
    multiple: bool = False  # repeatable; the value is a list (empty when not given)
    choices: tuple[str, ...] = ()  # checked by core: "--x must be one of a, b, not 'c'", exit 2

    @property
    def key(self) -> str:
        return self.name.replace("-", "_")


@dataclass(frozen=True, slots=True)
class NewAccount:
    """What `Connector.new_account` makes of the options: the row to store and what to ask."""

    address: str
    settings: dict[str, Any]
    secret: str | None = None  # the secret to ask for ("password"), or None when none is needed
    notes: tuple[str, ...] = ()  # lines to print once the account is stored
    # More secrets, each asked for in turn and kept under its own key ("refresh_token").
    keyed_secrets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What an importer is told by core's import service (deskterm.imports)."""

    path: Path
    account: str
    own_addresses: frozenset[str]
    attachments_dir: Path
    # The sources (Message.raw_path) of the messages this account has stored already, read on
    # demand: an importer that knows its files never change may skip those unread.
    stored_sources: Callable[[], set[str]]
    # Work the caller does while the importer's parsers are busy (settling SLA clocks); call it
    # whenever the next message is not ready yet, until it returns False.
    idle: Callable[[], bool]
    workers: int | None = None  # parser processes; None: the importer decides (0: inline)


@dataclass(slots=True)
class ImportStream:
    """An importer's answer: the messages, one at a time in arrival order, and how many."""

    messages: Generator[InboundMessage, None, None]
    total: int  # messages the iterator will yield (for progress)
    skipped: int = 0  # messages not read because `stored_sources` has them
    workers: int = 0  # parser processes it runs (the caller settles SLA clocks on as many)


class SourceError(ConnectorError):
    """The path is not something this importer reads; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Importer:
    """`deskterm import NAME PATH`: read an archive into messages; core ingests them.

    `read` raises SourceError for a path it cannot read (before yielding anything).
    """

    name: str
    help: str
    path_help: str
    read: Callable[[ImportRequest], ImportStream]
    # The recipients (lower-case addresses) of each of up to n messages spread over the archive
    # at the path, read from their headers alone: whom most mail went to is the shop's address.
    recipients: Callable[[Path, int], list[tuple[str, ...]]] | None = None


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What a connector action did, in the channel's words, for the ticket's timeline.

    `text` is one line a person reads ("refund of 59.00 EUR created on #1001"); `external_id` is
    the channel's id of what the action created (a refund, a cancel job), if any; `data` is the
    channel's answer as JSON-able values for scripts (`--json`).
    """

    text: str
    external_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


class RunAction(Protocol):
    def __call__(self, params: Mapping[str, Any], /, *, idempotency_key: str) -> ActionOutcome: ...


class PreviewAction(Protocol):
    def __call__(self, params: Mapping[str, Any], /) -> str: ...


class PrepareAction(Protocol):
    def __call__(self, params: Mapping[str, Any], /) -> Mapping[str, Any]: ...


class ConfirmAction(Protocol):
    def __call__(
        self, params: Mapping[str, Any], /, *, idempotency_key: str
    ) -> ActionOutcome | None: ...


@dataclass(frozen=True, slots=True)
class ConnectorAction:
    """A named operation on the channel (refund, cancel order, ...); a person always confirms it.

    deskterm.connector_calls runs it: the intent (with a fresh `idempotency_key`) is recorded in
    the ticket's timeline first, `run` is called outside any database transaction, and what it
    returns or raises is recorded after. The same key is passed again whenever the same intent is
    retried, so a channel that honours it (Shopify's `@idempotent(key:)`) never acts twice.

    - `run(params, *, idempotency_key)` does it and returns the ActionOutcome. Raise
      PermanentError when the channel refused (it did not act; its own error text is shown);
      any other failure, TemporaryError included (a timeout may come after the channel acted),
      leaves the outcome unknown.
    - `preview(params)` (optional) says what `run` would do, computed by the channel (Shopify's
      `suggestedRefund`), without changing anything; shown before a person confirms.
    - `idempotent`: the channel itself ignores a repeated `idempotency_key`, so an unknown
      outcome is resolved by running again with the same key.
    - `prepare(params)` (optional) works out, from the channel's data now, exactly what `run`
      will send, and returns the params with it; called once, before the intent is recorded,
      and stored as the call's params. A retry then sends the very same request with the same
      key, as channels that deduplicate by key require (Shopify refuses a key reused with other
      variables). Raise ConnectorError when the channel refuses; nothing is recorded then.
    - `confirm(params, *, idempotency_key)` (optional), for channels without idempotency keys:
      after an unknown outcome, the ActionOutcome if the action did happen, None if it certainly
      did not (it is then run again); raise ConnectorError when the channel cannot tell.

    An action with neither `idempotent` nor `confirm` is never repeated automatically: an
    unknown outcome waits for a person to check the channel.
    """

    name: str
    description: str
    run: RunAction
    preview: PreviewAction | None = None
    confirm: ConfirmAction | None = None
    prepare: PrepareAction | None = None
    idempotent: bool = False
    # What a person fills in before it runs (the TUI's form, the CLI's --set), beyond the order,
    # which the ticket gives as params["order"] (the order's number).
    fields: tuple[Field, ...] = ()


class Connector:
    """Base class of a channel. Subclasses override what their channel can do.

    `pull` yields batches; ingest stores each batch with its cursor in one transaction, so a crash
    between batches re-pulls at most one batch, which dedupe then ignores.
    """

    name: ClassVar[str]
    channel: ClassVar[str]
    can_send: ClassVar[bool] = False
    can_watch: ClassVar[bool] = False
    # `deskterm account add <name>`: its one-line help and options; empty: not offered.
    account_help: ClassVar[str] = ""
    account_fields: ClassVar[tuple[Field, ...]] = ()
    # `deskterm import <importer.name> PATH`, one command per importer.
    importers: ClassVar[tuple[Importer, ...]] = ()

    @classmethod
    def new_account(cls, name: str, values: dict[str, Any], today: date) -> NewAccount:
        """The `account add` hook: check the options and say what to store.

        Core builds `deskterm account add <connector> NAME` from `account_help` and
        `account_fields` (plus --password-stdin when a secret is needed, --replace and --db),
        checks `choices`, and calls this with every field's value by `Field.key`. Raise
        ConnectorError with one line for input that cannot work (core exits 2). Core then
        refuses an existing NAME without --replace, asks for `NewAccount.secret` and then each of
        `keyed_secrets` (prompt, or a line of stdin each with --password-stdin) and keeps them in
        the keyring, stores the account
        row (this connector's name and channel, `address`, `settings` as JSON), and prints the
        `notes`. Nothing here may touch the network or the store.
        """
        raise ConnectorError(f"{cls.name} accounts are not added from the command line")

    # True when send() calls handover.handing() itself, right before the channel may get the
    # reply; otherwise the sync engine calls it before send(), so a crash anywhere in send()
    # leaves the reply held for a person instead of sent again.
    reports_handover: ClassVar[bool] = False

    @classmethod
    def consent(
        cls, account: Account, ask: Callable[[str], str], say: Callable[[str], None]
    ) -> str | None:
        """The `account add` step a person takes part in, after the secret is kept and before the
        row is stored: an OAuth consent in a browser, say. It may use the network; `ask` reads a
        line from the person, `say` shows one. Returns a line to print, or None when the channel
        needs no such step. A ConnectorError stops the command and nothing is stored.
        """
        return None

    def __init__(self, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.account = account
        # Connectors read the time only through this, so the sync engine and tests can set it.
        self.clock = clock

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        """Yield new messages since the cursors (one per folder; '' for connectors without)."""
        return iter(())

    @classmethod
    def reply_problem(cls, body: str, attachments: tuple[Attachment, ...]) -> str | None:
        """Why the channel would refuse this reply (too long, an attachment it cannot carry),
        or None. Asked before a reply is queued, so it is refused while the agent is there."""
        return None

    def send(self, outbound: Outbound, handover: Handover) -> str:
        """Deliver one reply and return the channel's id for it.

        A connector that `reports_handover` calls handover.handing() right before the point
        after which the channel may have the reply, and handover.accepted() as soon as the
        channel confirmed it. An error after handing() must be DeliveryUnknown unless the
        channel said it refused the reply.
        """
        raise PermanentError(f"{self.name} accounts cannot send replies")

    def confirm_sent(self, outbound: Outbound) -> str | None:
        """After a crash while the channel may have had `outbound`: the channel's id if it has
        it, None only when the channel is sure it never got it.

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
        """The named actions this account offers (deskterm.connector_calls runs them)."""
        return []

    def unavailable(self, params: Mapping[str, Any]) -> dict[str, str]:
        """Why actions cannot run with `params` (a ticket's order) now, by action name; actions
        not named can. May ask the channel (a marketplace decides per order), so never call it
        inside a transaction or on the UI thread."""
        return {}

    def close(self) -> None:
        """Release connections; called when the sync engine is done with the account."""


@cache
def registry() -> dict[str, type[Connector]]:
    """Every installed connector class by name, from the entry-point group."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.load()
    return found


def reply_problem(connector: str, body: str, attachments: tuple[Attachment, ...]) -> str | None:
    """The named connector's objection to a reply, if it is installed and has one."""
    cls = registry().get(connector)
    return cls.reply_problem(body, attachments) if cls else None


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
