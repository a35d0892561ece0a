"""The calls deskterm makes to eBay's Commerce Message and Sell Fulfillment APIs, and what their
failures mean: every error names the account, what was being done, and eBay's error id and words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from deskterm.connector import PermanentError, TemporaryError
from deskterm.sync import http

MESSAGE = "/commerce/message/v1"
FULFILLMENT = "/sell/fulfillment/v1"
MEMBERS = "FROM_MEMBERS"
EBAY = "FROM_EBAY"
# eBay keeps orders (and answers for them) two years back.
FURTHEST = timedelta(days=730)
AGE = re.compile(r"(\d+)([dw])")
# The largest pages each API allows.
CONVERSATION_PAGE = 50
ORDER_PAGE = 200


def reach(since: str | None, now: datetime) -> datetime:
    """How far back a first sync goes: an age ("30d"), a day ("2026-10-01"), or "all" (2 years)."""
    if since in (None, "all"):
        return now - FURTHEST
    age = AGE.fullmatch(since.strip())
    if age:
        days = int(age[1]) * (7 if age[2] == "w" else 1)
        return max(now - timedelta(days=days), now - FURTHEST)
    try:
        day = date.fromisoformat(since)
    except ValueError:
        raise PermanentError(
            f"since {since!r} is neither a day like 2026-10-01 nor an age like 90d or 12w"
        ) from None
    return max(datetime(day.year, day.month, day.day, tzinfo=now.tzinfo), now - FURTHEST)


def ebay_time(moment: datetime) -> str:
    """The timestamp form eBay's filters take: UTC with milliseconds (2024-11-06T10:00:00.000Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def exchange(client: httpx.Client, method: str, url: str, *, what: str, **kwargs: Any):
    """Send one request; the response whatever its status, a network failure as temporary."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TemporaryError(f"{what}: no answer from eBay ({exc})") from None
    except httpx.TransportError as exc:
        raise TemporaryError(f"{what}: cannot reach eBay: {http.clean(str(exc))}") from None


# eBay's "Invalid or unrecognized conversation_id value": the conversation is gone (deleted).
UNKNOWN_CONVERSATION = 355007


class Gone(PermanentError):
    """What was asked for is not there (any more): a deleted conversation, an unknown order."""


def _error_ids(response: httpx.Response) -> set[int]:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return set()
    return {
        e["errorId"] for e in errors if isinstance(e, dict) and isinstance(e.get("errorId"), int)
    }


def error_words(response: httpx.Response) -> str:
    """eBay's errors as one line: "error 355013: The messageText string exceeds ..."."""
    try:
        data = response.json()
    except ValueError:
        data = None
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list) or not errors:
        return http.error_text(response)
    parts = []
    for error in errors:
        if isinstance(error, dict):
            words = error.get("longMessage") or error.get("message") or ""
            parts.append(f"error {error.get('errorId', '?')}: {words}".strip())
    return http.clean("; ".join(parts))


def checked(response: httpx.Response, what: str) -> httpx.Response:
    """`response` when it succeeded; else 429/5xx as temporary (with Retry-After), others as
    permanent, each with eBay's error ids."""
    if response.is_success:
        return response
    message = f"{what}: HTTP {response.status_code}: {error_words(response)}"
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryError(message, retry_after=http.retry_after(response))
    if response.status_code == 404 or UNKNOWN_CONVERSATION in _error_ids(response):
        raise Gone(message)
    raise PermanentError(message)


class EbayApi:
    """One account's view of the two APIs, through the shared client (auth, limits, retries)."""

    def __init__(self, account: str, client: httpx.Client) -> None:
        self.account = account
        self.client = client

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        label = f"eBay account {self.account}: {what}"
        return checked(exchange(self.client, method, path, what=label, **kwargs), label)

    def conversations(
        self, kind: str, offset: int, start_time: datetime | None = None
    ) -> dict[str, Any]:
        """One page of conversations of `kind`; only member conversations filter by time."""
        params: dict[str, Any] = {
            "conversation_type": kind,
            "limit": CONVERSATION_PAGE,
            "offset": offset,
        }
        if start_time is not None and kind == MEMBERS:
            params["start_time"] = ebay_time(start_time)
        return self._call(
            "GET", f"{MESSAGE}/conversation", "list conversations", params=params
        ).json()

    def messages(self, kind: str, conversation_id: str) -> Iterator[dict[str, Any]]:
        """Every message of one conversation, page after page."""
        offset = 0
        while True:
            page = self._call(
                "GET",
                f"{MESSAGE}/conversation/{conversation_id}",
                f"read conversation {conversation_id}",
                params={"conversation_type": kind, "limit": CONVERSATION_PAGE, "offset": offset},
            ).json()
            yield from page.get("messages") or ()
            if not page.get("next"):
                return
            offset += CONVERSATION_PAGE

    def send_message(self, conversation_id: str, text: str) -> httpx.Response:
        """POST send_message; the raw response, since a failure here needs a careful reading."""
        return exchange(
            self.client,
            "POST",
            f"{MESSAGE}/send_message",
            what=f"eBay account {self.account}: send to conversation {conversation_id}",
            json={"conversationId": conversation_id, "messageText": text},
        )

    def mark_read(self, conversation_id: str, kind: str) -> None:
        self._call(
            "POST",
            f"{MESSAGE}/update_conversation",
            f"mark conversation {conversation_id} read",
            json={"conversationId": conversation_id, "conversationType": kind, "read": True},
            extensions={"retry": True},  # marking read twice is harmless
        )

    def orders(self, modified_since: datetime, offset: int) -> dict[str, Any]:
        """One page of orders changed since `modified_since`."""
        # eBay wants the brackets percent-encoded, which httpx's params would leave as they are.
        criterion = quote(f"lastmodifieddate:[{ebay_time(modified_since)}..]", safe=":")
        query = f"filter={criterion}&limit={ORDER_PAGE}&offset={offset}"
        return self._call("GET", f"{FULFILLMENT}/order?{query}", "list orders").json()

    def order(self, order_id: str) -> dict[str, Any]:
        """One order in full: only this call lists its cancellation requests."""
        return self._call("GET", f"{FULFILLMENT}/order/{order_id}", f"read order {order_id}").json()

    def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """The shipping fulfillments (carrier, tracking) of one order."""
        page = self._call(
            "GET",
            f"{FULFILLMENT}/order/{order_id}/shipping_fulfillment",
            f"read shipments of order {order_id}",
        ).json()
        return list(page.get("fulfillments") or ())
