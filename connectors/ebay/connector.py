"""The eBay connector: buyer conversations in, replies out through send_message, orders beside them.

Three cursors per account, one per folder: `orders` (the latest order change seen), `members`
(buyer conversations) and `notices` (eBay's own), each the latest message time seen. Every pull
reaches back OVERLAP before its cursor, since eBay may file a message a little after its time;
dedupe drops what was already stored. A cursor moves only with the last page of its pass, so a
crash part-way pulls the pass again instead of skipping what was not stored yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import httpx

from deskterm.connector import (
    Account,
    Connector,
    Field,
    Handover,
    NewAccount,
    PermanentError,
    TemporaryError,
)
from deskterm.domain import (
    Attachment,
    Batch,
    MailboxChange,
    OrderSnapshot,
    Outbound,
    from_iso,
    to_iso,
    utcnow,
)
from deskterm.store.attachments import AttachmentStore, data_dir
from deskterm.sync import http

from . import accounts, convert, media, oauth
from .api import EBAY, MEMBERS, EbayApi, Gone, checked, reach

OVERLAP = timedelta(minutes=15)
FIRST_SYNC = "30d"
MAX_TEXT = 2000
# eBay's published call limits are per day; this keeps a burst from tripping them
# (the `requests_per_second` setting changes it).
RATE = 5.0
FOLDERS = {"members": MEMBERS, "notices": EBAY}
SEEN = "seen"  # MailboxChange.change for a message an agent read


def reply_problem(body: str, attachments: tuple[Attachment, ...]) -> str | None:
    """Why eBay would refuse this reply, or None; checked before it is queued."""
    if len(body) > MAX_TEXT:
        return f"eBay messages are at most {MAX_TEXT:,} characters; this reply has {len(body):,}"
    if attachments:
        return (
            "eBay takes media only as links to files hosted on your own HTTPS server; "
            "send the reply without attachments and put a link in the text"
        )
    return None


class EbayConnector(Connector):
    name: ClassVar[str] = "ebay"
    channel: ClassVar[str] = "ebay"
    can_send: ClassVar[bool] = True
    account_help: ClassVar[str] = accounts.HELP
    account_fields: ClassVar[tuple[Field, ...]] = accounts.FIELDS

    @classmethod
    def new_account(cls, name: str, values: dict[str, Any], today: date) -> NewAccount:
        return accounts.new_account(values, today)

    @classmethod
    def consent(
        cls, account: Account, ask: Callable[[str], str], say: Callable[[str], None]
    ) -> str:
        where = accounts.give(account, ask, say)
        return f"eBay access granted; the refresh token is stored in: {where}"

    def __init__(self, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(account, clock=clock)
        self.settings = account.settings
        self.seller = str(self.settings.get("seller", ""))
        self._api: EbayApi | None = None
        self._media: httpx.Client | None = None
        self._clients: list[httpx.Client] = []
        self.tokens: oauth.Tokens | None = None

    @classmethod
    def reply_problem(cls, body: str, attachments: tuple[Attachment, ...]) -> str | None:
        return reply_problem(body, attachments)

    def _client(self, base_url: str, auth: httpx.Auth | None = None) -> httpx.Client:
        rate = float(self.settings.get("requests_per_second", RATE))
        client = http.make_client(
            "ebay",
            base_url=base_url,
            auth=auth,
            limiter=http.shared_bucket(f"ebay:{self.account.name}", rate, rate * 2),
            timeout=float(self.settings.get("timeout", 30.0)),
        )
        self._clients.append(client)
        return client

    @property
    def api(self) -> EbayApi:
        if self._api is None:
            app = oauth.App.of(self.account)
            self.tokens = oauth.Tokens(self.account.name, app, self._client(app.api_url))
            client = self._client(app.api_url, oauth.EbayAuth(self.tokens))
            self._api = EbayApi(self.account.name, client)
        return self._api

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._api = self._media = None

    def _start(self, cursors: dict[str, dict], folder: str) -> datetime:
        cursor = cursors.get(folder, {}).get("since")
        if cursor:
            return from_iso(cursor) - OVERLAP
        return reach(self.settings.get("since", FIRST_SYNC), self.clock())

    # -- pull ---------------------------------------------------------------------------------

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        """Orders first, so a conversation that names one links to it as it arrives."""
        yield from self._pull_orders(cursors)
        for folder, kind in FOLDERS.items():
            yield from self._pull_conversations(cursors, folder, kind)

    def _pull_orders(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        start = self._start(cursors, "orders")
        latest = cursors.get("orders", {}).get("since", "")
        offset = 0
        while True:
            page = self.api.orders(start, offset)
            orders = []
            for listed in page.get("orders") or ():
                orders.append(self._order(listed))
                latest = max(latest, _iso(listed.get("lastModifiedDate")))
            more = bool(page.get("next"))
            cursor = cursors.get("orders", {}) if more else _cursor(latest)
            yield Batch([], cursor, folder="orders", orders=orders)
            if not more:
                return
            offset += int(page.get("limit") or len(orders) or 1)

    def _order(self, order: dict) -> OrderSnapshot:
        """An order with its shipments; one being cancelled read again for the buyer's request."""
        if convert.cancel_state(order) == convert.CANCEL_IN_PROGRESS:
            order = self.api.order(order["orderId"])
        shipments = self.api.fulfillments(order["orderId"]) if order.get("fulfillmentHrefs") else []
        return convert.snapshot(self.account.name, order, shipments)

    def _pull_conversations(
        self, cursors: dict[str, dict], folder: str, kind: str
    ) -> Iterator[Batch]:
        start = self._start(cursors, folder)
        latest = cursors.get(folder, {}).get("since", "")
        offset = 0
        while True:
            page = self.api.conversations(kind, offset, start)
            messages = []
            for conversation in page.get("conversations") or ():
                newest = _iso((conversation.get("latestMessage") or {}).get("createdDate"))
                if newest and newest < to_iso(start):
                    continue  # eBay's notices cannot be filtered by time: skip the old ones
                try:
                    messages.extend(self._conversation(conversation, kind))
                except Gone:
                    continue  # deleted on eBay between the listing and the reading
                latest = max(latest, newest)
            more = bool(page.get("next"))
            cursor = cursors.get(folder, {}) if more else _cursor(latest)
            yield Batch(messages, cursor, folder=folder)
            if not more:
                return
            offset += int(page.get("limit") or 1)

    def _conversation(self, conversation: dict, kind: str) -> list:
        """Every message of a conversation, oldest first, with its media fetched."""
        found = []
        for message in self.api.messages(kind, conversation["conversationId"]):
            files, warnings = [], []
            for item in message.get("messageMedia") or ():
                attachment, problem = media.fetch(
                    self._media_client, self._attachments, item, self.account.name
                )
                files.append(attachment)
                if problem:
                    warnings.append(problem)
            found.append(
                convert.inbound(
                    self.account.name,
                    conversation,
                    message,
                    kind=kind,
                    seller=self.seller,
                    received=self.clock(),
                    attachments=files,
                    warnings=warnings,
                )
            )
        return sorted(found, key=lambda m: m.sent_at)

    @property
    def _media_client(self) -> httpx.Client:
        if self._media is None:
            self._media = self._client("")
        return self._media

    @property
    def _attachments(self) -> AttachmentStore:
        return AttachmentStore(data_dir(self.settings) / "attachments")

    # -- send ---------------------------------------------------------------------------------

    def _conversation_of(self, outbound: Outbound) -> str:
        if not outbound.conversation_id:
            raise PermanentError(
                f"eBay account {self.account.name}: ticket #{outbound.ticket_id} has no eBay "
                "conversation to answer in"
            )
        return outbound.conversation_id

    def send(self, outbound: Outbound, handover: Handover) -> str:
        """POST send_message. eBay takes no idempotency key: when the answer is lost or a server
        error leaves it open whether the message went, the conversation is read before any retry."""
        conversation = self._conversation_of(outbound)
        problem = reply_problem(outbound.body, outbound.attachments)
        if problem:
            raise PermanentError(f"eBay account {self.account.name}: {problem}")
        try:
            response = self.api.send_message(conversation, outbound.body)
        except TemporaryError:
            if (found := self.confirm_sent(outbound)) is not None:
                return found
            raise
        if response.status_code >= 500 and (found := self.confirm_sent(outbound)) is not None:
            return found
        data = checked(
            response, f"eBay account {self.account.name}: send to conversation {conversation}"
        ).json()
        return str(data["messageId"])

    def confirm_sent(self, outbound: Outbound) -> str | None:
        """The id of our message in the conversation with this reply's text, written no earlier
        than the reply was queued; None when there is none."""
        conversation = self._conversation_of(outbound)
        since = to_iso(outbound.queued_at - OVERLAP) if outbound.queued_at else ""
        wanted = _same_text(outbound.body)
        for message in self.api.messages(MEMBERS, conversation):
            sender = message.get("senderUsername", "")
            if self.seller and sender.lower() != self.seller.lower():
                continue
            if (
                _iso(message.get("createdDate")) >= since
                and _same_text(message.get("messageBody", "")) == wanted
            ):
                return str(message["messageId"])
        return None

    # -- mark read ----------------------------------------------------------------------------

    def apply_changes(self, changes: list[MailboxChange]) -> Iterator[int]:
        """Mark read on eBay the conversations of messages an agent read (`mark_seen`)."""
        done: dict[str, bool] = {}
        for change in changes:
            parts = (change.location or "").split(":", 2)
            if change.change != SEEN or not self.settings.get("mark_seen") or len(parts) != 3:
                yield change.change_id
                continue
            _, kind, conversation = parts
            if conversation not in done:
                self.api.mark_read(conversation, kind)
                done[conversation] = True
            yield change.change_id

    # -- account test -------------------------------------------------------------------------

    def test(self) -> Iterator[str]:
        """Check the consent and both APIs; yields what works, raises on the first failure."""
        page = self.api.conversations(MEMBERS, 0)
        yield f"Commerce Message API: {page.get('total', 0)} buyer conversations"
        self._check_seller(page.get("conversations") or [])
        orders = self.api.orders(self.clock() - timedelta(days=30), 0)
        yield f"Sell Fulfillment API: {orders.get('total', 0)} orders changed in 30 days"

    def _check_seller(self, conversations: list[dict]) -> None:
        """The seller name decides which messages are ours: a wrong one would make every reply
        look like the buyer's, and a reply after a crash impossible to find."""
        latest = (conversations[0].get("latestMessage") or {}) if conversations else {}
        names = [latest.get("senderUsername", ""), latest.get("recipientUsername", "")]
        if all(names) and self.seller.lower() not in (n.lower() for n in names):
            raise PermanentError(
                f"eBay account {self.account.name}: the seller name {self.seller!r} is in none "
                f"of your conversations (the latest is between {names[0]} and {names[1]}); add "
                f"the account again with the right --seller"
            )


def _iso(text: str | None) -> str:
    moment = convert.parse_time(text)
    return to_iso(moment) if moment else ""


def _cursor(latest: str) -> dict[str, Any]:
    return {"since": latest} if latest else {}


def _same_text(text: str) -> str:
    """Text compared as eBay may store it: line endings and outer space do not count."""
    return " ".join(text.split())
