"""The Amazon seller account as a deskterm connector: order context, buyer messages, reviews.

Buyer messages arrive and are answered through the email relay (the email connector); this one
pulls the account's orders incrementally so relay tickets show their order, and speaks the
Messaging and Solicitations APIs for the messages and review requests Amazon allows per order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from deskterm import secrets
from deskterm.connector import (
    Account,
    Connector,
    ConnectorAction,
    Field,
    NewAccount,
    PermanentError,
)
from deskterm.domain import Batch, OrderSnapshot, from_iso, to_iso, utcnow

from . import accounts, reviews
from .accounts import FIRST_SYNC_DAYS, SECRETS
from .actions import AmazonActions
from .auth import LWA_TOKEN_URL, LwaAuth
from .client import ROLES, Refused, Rejected, SpApi
from .orders import snapshot
from .regions import ENDPOINTS, check_marketplace

log = logging.getLogger(__name__)
# An order id no seller has: asking about it tells a missing role (403) from a granted one (404).
PROBE_ORDER = "000-0000000-0000000"


def credentials(account_name: str) -> dict[str, str]:
    found = {key: secrets.get_secret(account_name, key) for key in SECRETS}
    missing = [key for key, value in found.items() if not value]
    if missing:
        raise PermanentError(
            f"account {account_name!r} has no {', '.join(missing)} stored; run `deskterm account"
            f" add amazon {account_name} --replace` or set {secrets.env_name(account_name, missing[0])}"
        )
    return {key: str(value) for key, value in found.items()}


class AmazonConnector(Connector):
    name = "amazon"
    channel = "amazon"
    account_help: ClassVar[str] = accounts.HELP
    account_fields: ClassVar[tuple[Field, ...]] = accounts.FIELDS

    @classmethod
    def new_account(cls, name: str, values: dict[str, Any], today: date) -> NewAccount:
        return accounts.new_account(values)

    def __init__(self, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(account, clock=clock)
        settings = account.settings
        self.region = settings.get("region", "")
        self.marketplace = settings.get("marketplace", "")
        problem = check_marketplace(self.region, self.marketplace)
        if problem:
            raise PermanentError(f"account {account.name!r}: {problem}")
        self.endpoint = settings.get("endpoint") or ENDPOINTS[self.region]
        self.token_url = settings.get("token_url") or LWA_TOKEN_URL
        self.page_size = int(settings.get("page_size", 100))
        days = settings.get("review_after_days")
        self.review_after = timedelta(days=int(days)) if days else None
        self._api: SpApi | None = None

    @property
    def api(self) -> SpApi:
        if self._api is None:
            found = credentials(self.account.name)
            auth = LwaAuth(
                token_url=self.token_url,
                client_id=found["client_id"],
                client_secret=found["client_secret"],
                refresh_token=found["refresh_token"],
            )
            self._api = SpApi(
                self.account.name, base_url=self.endpoint, marketplace=self.marketplace, auth=auth
            )
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    def _first_moment(self) -> str:
        since = self.account.settings.get("since_days", FIRST_SYNC_DAYS)
        return to_iso(self.clock() - timedelta(days=int(since)))

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        """Orders changed since the last pull, a page per batch; the cursor remembers the page,
        so a crash resumes where it stopped and a finished pass starts from the newest change.

        With review_after_days set, delivered orders wait in the cursor until their review
        request is due, and the pass ends by asking for those (see `_ask_reviews`).
        """
        cursor = cursors.get("", {})
        after = cursor.get("updated_after") or self._first_moment()
        page = cursor.get("page")
        newest = cursor.get("newest") or after
        waiting: dict[str, str] = dict(cursor.get("reviews") or {})
        while True:
            found, page = self.api.search_orders(
                updated_after=after, page_token=page, page_size=self.page_size
            )
            orders = [snapshot(self.account.name, order) for order in found]
            newest = max([newest, *(to_iso(o.changed_at) for o in orders if o.changed_at)])
            if self.review_after is not None:
                waiting.update(reviews.waiting(orders))
            next_cursor = {"updated_after": after, "page": page, "newest": newest}
            if not page:
                next_cursor = {"updated_after": newest}
            if waiting:
                next_cursor["reviews"] = waiting
            yield Batch([], next_cursor, orders=orders)
            if not page:
                break
        if waiting and self.review_after is not None:
            left = self._ask_reviews(waiting, self.review_after)
            yield Batch([], {**next_cursor, "reviews": left} if left else {"updated_after": newest})

    def _ask_reviews(self, waiting: dict[str, str], after: timedelta) -> dict[str, str]:
        """Request the reviews that are due; return the orders still waiting for their day.

        Amazon offers the request once per order, so one that is not offered on its day (asked
        already, by a person or before a crash, or not eligible) is dropped, never asked twice.
        """
        left = {}
        now = self.clock()
        for order_id, delivered in waiting.items():
            state = reviews.due_state(from_iso(delivered), now, after)
            if state == "wait":
                left[order_id] = delivered
            elif state == "due" and self.api.review_allowed(order_id):
                try:
                    self.api.request_review(order_id)
                except PermanentError as exc:
                    log.warning(
                        "%s: review request for %s refused: %s", self.account.name, order_id, exc
                    )
                else:
                    log.info("%s: review requested for order %s", self.account.name, order_id)
        return left

    def actions(self) -> list[ConnectorAction]:
        return AmazonActions(lambda: self.api, self.clock).all()

    def unavailable(self, params: Mapping[str, Any]) -> dict[str, str]:
        return AmazonActions(lambda: self.api, self.clock).unavailable(params)

    def order(self, order_id: str) -> OrderSnapshot:
        """The order as Amazon has it now (getOrder), for a look before a message is sent."""
        return snapshot(self.account.name, self.api.get_order(order_id))

    def test(self) -> Iterator[str]:
        """Call one cheap operation of each API; yield what works, then fail naming what does not."""
        since = to_iso(self.clock() - timedelta(days=1))
        missing = []
        probes = [
            ("orders", lambda: self.api.search_orders(updated_after=since, page_size=1)),
            ("messaging", lambda: self.api.messaging_actions(PROBE_ORDER)),
            ("solicitations", lambda: self.api.review_allowed(PROBE_ORDER)),
        ]
        for api, probe in probes:
            try:
                probe()
            except Refused:
                missing.append(f"{api} ({ROLES[api]} role)")
                continue
            except Rejected as exc:
                if exc.status != 404:  # the probe order does not exist: the role is there
                    raise
            yield f"{api} API: allowed ({ROLES[api]} role)"
        if missing:
            raise PermanentError(f"the app may not use: {', '.join(missing)}")
