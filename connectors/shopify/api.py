"""One GraphQL call to a shop, with Shopify's three layers of errors and its cost bucket.

HTTP status first (402 frozen plan, 403 scope, 423 locked shop, 401 token, 429 and 5xx retried by
deskterm.sync.http), then top-level `errors` (THROTTLED waited out here, ACCESS_DENIED,
...), then each mutation's `userErrors`, which callers turn into a refusal with Shopify's words.
The local bucket is charged each query's expected cost before it is sent and set to what
`extensions.cost.throttleStatus` reports after, so queries slow down before Shopify says THROTTLED.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from deskterm.connector import PermanentError, TemporaryError
from deskterm.sync import http

from .documents import API_VERSION

# Shopify's standard plans: a 2,000-point bucket restored at 100 points per second; the first
# response corrects both for bigger plans.
BUCKET_SIZE = 2000.0
RESTORE_RATE = 100.0
FIRST_GUESS = 50.0
THROTTLE_RETRIES = 8
OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")


ENDPOINT = f"/admin/api/{API_VERSION}/graphql.json"


def http_refusal(shop: str, account: str, response: httpx.Response) -> Exception | None:
    """The error for a status Shopify uses for the shop or the app, or None for the others."""
    said = http.error_text(response)
    status = response.status_code
    fixes = {
        401: f"the access token was refused ({said}); store a new one: deskterm account add "
        f"shopify {account} --replace",
        402: f"Shopify says payment is required ({said}): the shop's plan is frozen or unpaid; "
        "the owner must settle it in the Shopify admin under Settings > Billing",
        403: f"Shopify refused access ({said}): the app lacks a scope or was uninstalled; "
        f"`deskterm account test {account}` lists the scopes each feature needs",
        404: f"there is no shop at this address ({said}); check --shop",
        423: f"the shop is locked ({said}); its owner must contact Shopify support to unlock it",
    }
    if status in fixes:
        return PermanentError(f"{shop}: {fixes[status]}")
    if status == 429 or status >= 500:
        return TemporaryError(
            f"{shop}: Shopify is unavailable (HTTP {status}: {said}); will retry",
            retry_after=http.retry_after(response),
        )
    if not response.is_success:
        return PermanentError(f"{shop}: HTTP {status}: {said}")
    return None


class ShopifyAPI:
    """GraphQL calls to one shop through the house HTTP client."""

    def __init__(
        self,
        account: str,
        shop: str,
        *,
        base_url: str,
        auth: httpx.Auth,
        limiter: http.TokenBucket | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.shop = shop
        self.limiter = limiter or http.shared_bucket(f"shopify:{shop}", RESTORE_RATE, BUCKET_SIZE)
        self.client = http.make_client(
            "shopify",
            base_url=base_url,
            auth=auth,
            limiter=self.limiter,
            transport=transport,
            sleep=sleep,
        )
        self.costs: dict[str, float] = {}
        self.throttled = 0

    def close(self) -> None:
        self.client.close()

    def expected_cost(self, name: str) -> float:
        return self.costs.get(name, FIRST_GUESS)

    def call(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        replayable: bool = True,
        cost: float | None = None,
    ) -> dict[str, Any]:
        """The `data` of one query or mutation; raises the contract's errors for the rest.

        `replayable` says whether the request may be sent again after a dropped connection or
        a 5xx: true for queries and for mutations made idempotent (refundCreate's key).
        `cost` is what the query will be charged up front, when the caller knows better than
        the last call of the same name (a page of another size).
        """
        found = OPERATION.search(document)
        name = found.group(1) if found else "query"
        for _ in range(THROTTLE_RETRIES):
            expected = cost if cost is not None else self.expected_cost(name)
            body = self._post(name, document, variables or {}, replayable, expected)
            errors = body.get("errors") or []
            if any(_code(e) == "THROTTLED" for e in errors):
                # The bucket was set from throttleStatus; the next take() waits for the points.
                self.throttled += 1
                continue
            if errors:
                raise self._graphql_error(name, errors)
            return body.get("data") or {}
        raise TemporaryError(f"{self.shop}: Shopify kept throttling {name}; will retry")

    def _post(
        self, name: str, document: str, variables: dict, replayable: bool, cost: float
    ) -> dict:
        try:
            response = self.client.post(
                ENDPOINT,
                json={"query": document, "variables": variables},
                extensions={"cost": cost, "retry": replayable},
            )
        except httpx.TimeoutException:
            raise TemporaryError(f"{self.shop}: no answer from Shopify to {name}") from None
        except httpx.TransportError as exc:
            raise TemporaryError(
                f"{self.shop}: cannot reach Shopify for {name}: {http.clean(str(exc))}"
            ) from None
        refusal = http_refusal(self.shop, self.account, response)
        if refusal is not None:
            raise refusal
        try:
            body = response.json()
        except ValueError:
            raise TemporaryError(f"{self.shop}: Shopify answered {name} with no JSON") from None
        self._observe(name, body.get("extensions", {}).get("cost"))
        return body

    def _observe(self, name: str, cost: dict | None) -> None:
        if not cost:
            return
        status = cost.get("throttleStatus") or {}
        if cost.get("requestedQueryCost") is not None:
            self.costs[name] = float(cost["requestedQueryCost"])
        if "currentlyAvailable" in status:
            self.limiter.observe(
                float(status["currentlyAvailable"]),
                float(status.get("restoreRate") or 0) or None,
                float(status.get("maximumAvailable") or 0) or None,
            )

    def _graphql_error(self, name: str, errors: list[dict]) -> Exception:
        text = http.clean("; ".join(str(e.get("message", e)) for e in errors))
        codes = {_code(e) for e in errors}
        if "ACCESS_DENIED" in codes:
            return PermanentError(
                f"{self.shop}: Shopify denied {name} ({text}); `deskterm account test "
                f"{self.account}` lists the scopes each feature needs"
            )
        if "INTERNAL_SERVER_ERROR" in codes:
            return TemporaryError(f"{self.shop}: Shopify failed on {name} ({text}); will retry")
        return PermanentError(f"{self.shop}: Shopify refused {name}: {text}")


def _code(error: dict) -> str:
    return str((error.get("extensions") or {}).get("code") or "")


def user_errors(payload: dict | None, key: str = "userErrors") -> str | None:
    """Shopify's own words for why a mutation was refused, as one line, or None."""
    errors = (payload or {}).get(key) or []
    if not errors:
        return None
    return http.clean("; ".join(str(e.get("message", "")) for e in errors))
