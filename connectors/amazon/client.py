"""The Selling Partner API operations deskterm uses, each within its own usage plan.

Orders v2026-01-01 (searchOrders, getOrder), Messaging v1 and Solicitations v1. Every operation
has its own token bucket with the rate and burst Amazon's models state (tests compare them), and
Amazon's `x-amzn-RateLimit-Limit` answer adjusts the rate when the account has a different plan.
Retries of 429 and of safe requests happen in deskterm.sync.http; this module only says what a
failure means for the seller: a missing role, Amazon's own error list, or a message that may or
may not have left.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import httpx

from deskterm.connector import ConnectorError, PermanentError, TemporaryError
from deskterm.sync import http

from .messaging import MESSAGE_TYPES

ORDERS = "/orders/2026-01-01/orders"
MESSAGING = "/messaging/v1/orders"
SOLICITATIONS = "/solicitations/v1/orders"
REVIEW = "productReviewAndSellerFeedback"
# The datasets a ticket's sidebar needs; BUYER carries the relay address that joins relay mail.
INCLUDED_DATA = "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,PACKAGES"

# Usage plans (requests per second, burst) as the models state them.
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "getMessagingActionsForOrder": (1.0, 5),
    **{t.operation: (1.0, 5) for t in MESSAGE_TYPES.values()},
    "getSolicitationActionsForOrder": (1.0, 5),
    "createProductReviewAndSellerFeedbackSolicitation": (1.0, 5),
}

# The app role each API needs in Seller Central (Apps and Services > Develop Apps).
ROLES = {
    "orders": "Inventory and Order Tracking",
    "messaging": "Buyer Communication",
    "solicitations": "Buyer Solicitation",
}


class Uncertain(ConnectorError):
    """A message request left but no answer came back: Amazon may or may not have sent it.

    Amazon's Messaging API takes no idempotency key and lists no sent messages, so nothing can
    check; a person looks at the order's messages in Seller Central and decides.
    """


class Refused(PermanentError):
    """Amazon answered 401 or 403: the app lacks the role the API needs (or its grant ended)."""


class Rejected(PermanentError):
    """Amazon answered another 4xx; the message carries Amazon's error list as it gave it."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def amazon_errors(response: httpx.Response) -> str:
    """Amazon's error list as it gave it: `code: message (details)`, one after another."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if not isinstance(errors, list) or not errors:
        return http.error_text(response)
    parts = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        text = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
        if error.get("details"):
            text += f" ({error['details']})"
        parts.append(text)
    return http.clean("; ".join(parts)) or http.error_text(response)


def _explain(response: httpx.Response, what: str, api: str) -> httpx.Response:
    status = response.status_code
    if status in (401, 403):
        raise Refused(
            f"Amazon refused {what}: {amazon_errors(response)} (HTTP {status}). The app needs "
            f"the {ROLES[api]} role for the {api} API; grant it in Seller Central and authorise "
            "the app again"
        )
    if 400 <= status < 500 and status != 429:
        raise Rejected(f"Amazon rejected {what}: HTTP {status}: {amazon_errors(response)}", status)
    return http.check(response, what)


class SpApi:
    """One seller account's Selling Partner API client for one marketplace."""

    def __init__(
        self,
        account: str,
        *,
        base_url: str,
        marketplace: str,
        auth: httpx.Auth,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.marketplace = marketplace
        self.client = http.make_client(
            "amazon", base_url=base_url, auth=auth, transport=transport, sleep=sleep
        )

    def close(self) -> None:
        self.client.close()

    def _request(
        self, operation: str, api: str, method: str, path: str, *, what: str, **kwargs: Any
    ) -> httpx.Response:
        rate, burst = USAGE_PLANS[operation]
        bucket = http.shared_bucket(f"amazon:{self.account}:{operation}", rate, burst)
        bucket.take()
        try:
            response = self.client.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TemporaryError(f"{what}: cannot reach Amazon: {http.clean(str(exc))}") from None
        except httpx.TransportError as exc:
            if method == "POST":
                raise Uncertain(
                    f"{what}: the connection broke after the request left "
                    f"({http.clean(str(exc))}); Amazon may have sent it. Check the order's "
                    "messages in Seller Central before sending again"
                ) from None
            raise TemporaryError(f"{what}: no answer from Amazon: {http.clean(str(exc))}") from None
        stated = response.headers.get("x-amzn-RateLimit-Limit")
        if stated:
            with contextlib.suppress(ValueError):
                bucket.observe(bucket.available(), rate=float(stated))
        return _explain(response, what, api)

    def search_orders(
        self, *, updated_after: str, page_token: str | None = None, page_size: int = 100
    ) -> tuple[list[dict], str | None]:
        """One page of orders changed at or after `updated_after`, and the next page's token."""
        params = {
            "lastUpdatedAfter": updated_after,
            "marketplaceIds": self.marketplace,
            "includedData": INCLUDED_DATA,
            "maxResultsPerPage": page_size,
        }
        if page_token:
            params["paginationToken"] = page_token
        data = self._request(
            "searchOrders", "orders", "GET", ORDERS, params=params, what="searching orders"
        ).json()
        return list(data.get("orders") or []), (data.get("pagination") or {}).get("nextToken")

    def get_order(self, order_id: str) -> dict:
        data = self._request(
            "getOrder",
            "orders",
            "GET",
            f"{ORDERS}/{order_id}",
            params={"includedData": INCLUDED_DATA},
            what=f"reading order {order_id}",
        ).json()
        return data["order"]

    def _action_names(self, operation: str, api: str, url: str, what: str) -> list[str]:
        data = self._request(
            operation, api, "GET", url, params={"marketplaceIds": self.marketplace}, what=what
        ).json()
        links = (data.get("_links") or {}).get("actions") or []
        return [link["name"] for link in links if isinstance(link, dict) and link.get("name")]

    def messaging_actions(self, order_id: str) -> list[str]:
        """The message types Amazon allows for the order right now."""
        return self._action_names(
            "getMessagingActionsForOrder",
            "messaging",
            f"{MESSAGING}/{order_id}",
            f"asking which messages order {order_id} allows",
        )

    def send_message(self, order_id: str, kind: str, body: dict) -> None:
        self._request(
            MESSAGE_TYPES[kind].operation,
            "messaging",
            "POST",
            f"{MESSAGING}/{order_id}/messages/{kind}",
            params={"marketplaceIds": self.marketplace},
            json=body,
            what=f"sending {kind} for order {order_id}",
        )

    def review_allowed(self, order_id: str) -> bool:
        names = self._action_names(
            "getSolicitationActionsForOrder",
            "solicitations",
            f"{SOLICITATIONS}/{order_id}",
            f"asking whether order {order_id} may get a review request",
        )
        return REVIEW in names

    def request_review(self, order_id: str) -> None:
        self._request(
            "createProductReviewAndSellerFeedbackSolicitation",
            "solicitations",
            "POST",
            f"{SOLICITATIONS}/{order_id}/solicitations/{REVIEW}",
            params={"marketplaceIds": self.marketplace},
            what=f"requesting a review for order {order_id}",
        )
