"""A fake Amazon Selling Partner API and Login with Amazon token endpoint on 127.0.0.1.

Every request is checked against Amazon's own Swagger files (tests/fixtures/amazon, Apache-2.0):
what they do not allow is answered 400 and recorded in `violations`, which the fixture asserts
empty. Answers take the shapes of the same files: orders are copies of getOrder's documented
example (the one with packages), the allowed messaging and solicitation actions are those of the
sandbox examples, and a request matching a sandbox error example (orderId TEST_CASE_400, ...)
gets that example's answer.
Each operation has the token bucket its description states, so a client that ignores the limits
sees 429 like it would in production.

Standalone, for driving the app by hand: ``python -m tests.integration.amazon_fake --port 8700``.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .swagger import Operation, SwaggerSpec

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "amazon"
MARKETPLACE = "A1F83G8C2ARO7P"
CLIENT_ID = "amzn1.application-oa2-client.fake"
CLIENT_SECRET = "fake-client-secret"
REFRESH_TOKEN = "Atzr|fake-refresh-token"
ROLES = {"orders": "Orders", "messaging": "Messaging", "solicitations": "Solicitations"}
USAGE_PLAN = re.compile(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|")
EXPIRED = "The access token you provided has expired."


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_specs() -> dict[str, SwaggerSpec]:
    return {
        "orders": SwaggerSpec(SPECS / "amazon-sp-orders-2026-01-01.json"),
        "messaging": SwaggerSpec(SPECS / "amazon-sp-messaging-v1.swagger.json"),
        "solicitations": SwaggerSpec(SPECS / "amazon-sp-solicitations-v1.swagger.json"),
    }


def sandbox(op: Operation, status: int) -> list[dict[str, Any]]:
    return op.spec["responses"].get(str(status), {}).get("x-amzn-api-sandbox", {}).get("static", [])


class Bucket:
    """The usage plan of one operation: `burst` requests at once, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeSpApi:
    """The state behind the fake: orders, what each order allows, what was sent, and faults."""

    marketplace: str = MARKETPLACE
    orders: dict[str, dict] = field(default_factory=dict)
    messaging: dict[str, list[str]] = field(default_factory=dict)
    reviews_allowed: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=lambda: set(ROLES))
    sent: list[tuple[str, str, dict]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    throttled: dict[str, int] = field(default_factory=dict)
    drop_after_accept: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    token_lifetime: int = 3600
    port: int = 0

    def __post_init__(self) -> None:
        self.specs = load_specs()
        self.lock = threading.Lock()
        self.buckets: dict[str, Bucket] = {}
        for spec in self.specs.values():
            for op in spec.operations:
                found = USAGE_PLAN.search(op.description)
                if found:
                    self.buckets[op.operation_id] = Bucket(float(found[1]), int(found[2]))
        self._serial = itertools.count(1)
        self.default_actions = [
            link["name"]
            for link in sandbox(self.op("getMessagingActionsForOrder"), 200)[0]["response"][
                "_links"
            ]["actions"]
            if link["name"] != "attributes"
        ]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def op(self, operation_id: str) -> Operation:
        for spec in self.specs.values():
            for op in spec.operations:
                if op.operation_id == operation_id:
                    return op
        raise KeyError(operation_id)

    def add_order(
        self,
        order_id: str,
        *,
        buyer_email: str,
        updated: datetime,
        buyer_name: str = "James Wilson",
        package_status: str | None = "IN_TRANSIT",
        tracking: str = "RR123456789GB",
        actions: list[str] | None = None,
        review: bool = False,
    ) -> dict:
        """An order shaped like getOrder's documented example, under this fake's marketplace."""
        example = self.op("getOrder").spec["responses"]["200"]["examples"]["application/json"]
        order = copy.deepcopy(example["order"])
        order.update(
            orderId=order_id,
            createdTime=iso(updated - timedelta(days=2)),
            lastUpdatedTime=iso(updated),
        )
        order["salesChannel"]["marketplaceId"] = self.marketplace
        # The example's promises are of December 2024: move them to this order's days.
        created = updated - timedelta(days=2)
        order["fulfillment"]["shipByWindow"] = _window(created, 1, 2)
        order["fulfillment"]["deliverByWindow"] = _window(created, 3, 5)
        order["buyer"].update(buyerEmail=buyer_email, buyerName=buyer_name)
        if package_status is None:
            order["packages"] = []
            order["fulfillment"]["fulfillmentStatus"] = "UNSHIPPED"
        else:
            package = order["packages"][0]
            package["packageStatus"] = {"status": package_status}
            package["trackingNumber"] = tracking
        with self.lock:
            self.orders[order_id] = order
            self.messaging[order_id] = list(self.default_actions if actions is None else actions)
            if review:
                self.reviews_allowed.add(order_id)
        return order

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def throttle(self, operation_id: str, times: int = 1) -> None:
        with self.lock:
            self.throttled[operation_id] = self.throttled.get(operation_id, 0) + times

    # -- the LWA token endpoint ------------------------------------------------------------------

    def token(self, form: dict[str, list[str]]) -> Reply:
        one = {key: values[0] for key, values in form.items()}
        if one.get("grant_type") != "refresh_token":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "grant"})
        if (one.get("client_id"), one.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Reply(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        if one.get("refresh_token") != REFRESH_TOKEN:
            return Reply(
                400,
                {"error": "invalid_grant", "error_description": "The request has an invalid grant"},
            )
        with self.lock:
            self.tokens_issued += 1
            access = f"Atza|fake-access-{self.tokens_issued}"
            self.tokens.add(access)
        return Reply(
            200,
            {
                "access_token": access,
                "refresh_token": REFRESH_TOKEN,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
            },
        )

    # -- the Selling Partner API -----------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlsplit(target)
        query = parse_qs(url.query, keep_blank_values=True)
        found = self._find(method, url.path)
        if found is None:
            self.violations.append(f"{method} {url.path}: no such operation")
            return Reply(404, {"errors": [{"code": "NotFound", "message": "Resource not found"}]})
        role, spec, op, path_params = found
        self.calls.append(op.operation_id)
        problems = spec.request_errors(op, path_params, query, body)
        if problems:
            self.violations.extend(f"{op.operation_id}: {p}" for p in problems)
            return self.error(400, "InvalidInput", "; ".join(problems))
        with self.lock:
            if headers.get("x-amz-access-token") not in self.tokens:
                return self.error(403, "Unauthorized", EXPIRED)
            if role not in self.roles:
                return self.error(
                    403, "Unauthorized", "Access to requested resource is denied.", "Role"
                )
            if self.throttled.get(op.operation_id, 0) > 0:
                self.throttled[op.operation_id] -= 1
                return self.quota(op)
            bucket = self.buckets.get(op.operation_id)
            if bucket is not None and not bucket.take():
                return self.quota(op)
        example = self._sandbox_error(op, path_params)
        if example is not None:
            return example
        answer = getattr(self, f"_{role}")(op, path_params, query, body)
        answer.headers.setdefault("x-amzn-RateLimit-Limit", self.rate(op))
        self.violations.extend(
            f"{op.operation_id} answer: {e}"
            for e in spec.response_errors(op, answer.status, answer.body)
        )
        return answer

    def _find(
        self, method: str, path: str
    ) -> tuple[str, SwaggerSpec, Operation, dict[str, str]] | None:
        for role, spec in self.specs.items():
            found = spec.match(method, path)
            if found:
                return role, spec, *found
        return None

    def rate(self, op: Operation) -> str:
        bucket = self.buckets.get(op.operation_id)
        return str(bucket.rate) if bucket else "1"

    def error(self, status: int, code: str, message: str, details: str = "") -> Reply:
        return Reply(status, {"errors": [{"code": code, "message": message, "details": details}]})

    def quota(self, op: Operation) -> Reply:
        reply = self.error(
            429, "QuotaExceeded", "You exceeded your quota for the requested resource."
        )
        reply.headers["x-amzn-RateLimit-Limit"] = self.rate(op)
        return reply

    def _sandbox_error(self, op: Operation, path_params: dict[str, str]) -> Reply | None:
        for status in (400, 404):
            for case in sandbox(op, status):
                wanted = case["request"]["parameters"]
                if wanted and all(
                    path_params.get(name) == spec["value"] for name, spec in wanted.items()
                ):
                    return Reply(status, case["response"])
        return None

    def _orders(self, op, path_params, query, body) -> Reply:
        datasets = set(query["includedData"][0].split(",")) if "includedData" in query else set()
        if op.operation_id == "getOrder":
            order = self.orders.get(path_params["orderId"])
            if order is None:
                return self.error(404, "NotFound", f"Order {path_params['orderId']} not found")
            return Reply(200, {"order": _trimmed(order, datasets)})
        return self._search(query, datasets)

    def _search(self, query: dict[str, list[str]], datasets: set[str]) -> Reply:
        bounds = [name for name in ("createdAfter", "lastUpdatedAfter") if name in query]
        if len(bounds) != 1:
            return self.error(
                400, "InvalidInput", "Exactly one of createdAfter and lastUpdatedAfter is required"
            )
        field_name = "createdTime" if bounds[0] == "createdAfter" else "lastUpdatedTime"
        after = datetime.fromisoformat(query[bounds[0]][0])
        markets = set(query["marketplaceIds"][0].split(",")) if "marketplaceIds" in query else None
        with self.lock:
            matching = sorted(
                (
                    o
                    for o in self.orders.values()
                    if datetime.fromisoformat(o[field_name]) >= after
                    and (markets is None or o["salesChannel"]["marketplaceId"] in markets)
                ),
                key=lambda o: (o[field_name], o["orderId"]),
            )
        size = int(query.get("maxResultsPerPage", ["100"])[0])
        start = (
            int(query["paginationToken"][0].removeprefix("page-"))
            if "paginationToken" in query
            else 0
        )
        page = matching[start : start + size]
        answer: dict[str, Any] = {"orders": [_trimmed(o, datasets) for o in page]}
        if start + size < len(matching):
            answer["pagination"] = {"nextToken": f"page-{start + size}"}
        return Reply(200, answer)

    def _messaging(self, op, path_params, query, body) -> Reply:
        order_id = path_params["amazonOrderId"]
        if order_id not in self.orders:
            return self.error(404, "NotFound", f"Order {order_id} not found")
        allowed = self.messaging.get(order_id, [])
        market = query["marketplaceIds"][0]
        base = f"/messaging/v1/orders/{order_id}"
        if op.operation_id == "getMessagingActionsForOrder":
            return Reply(200, _links(base, "messages", allowed, market))
        kind = op.template.rsplit("/", 1)[1]
        if op.operation_id == "GetAttributes":
            return Reply(200, {"buyer": {"locale": "en-GB"}})
        if kind not in allowed:
            return self.error(
                400, "InvalidInput", f"The {kind} messaging action is not available for this order"
            )
        with self.lock:
            self.sent.append((order_id, kind, json.loads(body)))
        return Reply(201, {})

    def _solicitations(self, op, path_params, query, body) -> Reply:
        order_id = path_params["amazonOrderId"]
        if order_id not in self.orders:
            return self.error(404, "NotFound", f"Order {order_id} not found")
        base = f"/solicitations/v1/orders/{order_id}"
        allowed = ["productReviewAndSellerFeedback"] if order_id in self.reviews_allowed else []
        if op.operation_id == "getSolicitationActionsForOrder":
            return Reply(200, _links(base, "solicitations", allowed, query["marketplaceIds"][0]))
        if not allowed:
            return self.error(
                403, "Unauthorized", "This order is not eligible for a solicitation at this time."
            )
        with self.lock:
            # Amazon takes one review request per order: after it, the action is gone.
            self.reviews_allowed.discard(order_id)
            self.sent.append((order_id, "productReviewAndSellerFeedback", {}))
        return Reply(201, {})


DATASETS = {
    "buyer": "BUYER",
    "recipient": "RECIPIENT",
    "proceeds": "PROCEEDS",
    "fulfillment": "FULFILLMENT",
    "packages": "PACKAGES",
    "fulfillmentOrders": "FULFILLMENT_ORDERS",
}


def _window(start: datetime, first: int, last: int) -> dict[str, str]:
    return {
        "earliestDateTime": iso(start + timedelta(days=first)),
        "latestDateTime": iso(start + timedelta(days=last)),
    }


def _trimmed(order: dict, datasets: set[str]) -> dict:
    """The order as Amazon sends it: optional datasets only when includedData asked for them."""
    return {k: v for k, v in order.items() if k not in DATASETS or DATASETS[k] in datasets}


def _links(base: str, section: str, names: list[str], market: str) -> dict:
    return {
        "_links": {
            "actions": [
                {"href": f"{base}/{section}/{name}?marketplaceIds={market}", "name": name}
                for name in names
            ],
            "self": {"href": f"{base}?marketplaceIds={market}"},
        }
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSpApi

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `fake.calls` instead."""

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, reply: Reply) -> None:
        data = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", f"fake-{next(self.fake._serial)}")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        if urlsplit(self.path).path == "/auth/o2/token":
            form = parse_qs(self._body().decode())
            self._answer(self.fake.token(form))
            return
        self._serve("POST")

    def _serve(self, method: str) -> None:
        body = self._body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.fake.handle(method, self.path, headers, body)
        operation = self.fake.calls[-1] if self.fake.calls else ""
        if reply.status < 300 and operation in self.fake.drop_after_accept:
            # Amazon took the request, then the connection died before the answer came back.
            self.fake.drop_after_accept.discard(operation)
            self.close_connection = True
            return
        self._answer(reply)


class FakeServer:
    """Runs a FakeSpApi on 127.0.0.1 in a background thread."""

    def __init__(self, fake: FakeSpApi, port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        fake.port = self.httpd.server_address[1]
        self.fake = fake
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeSpApi:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def demo_orders(fake: FakeSpApi, now: datetime) -> None:
    """The orders behind tests/fixtures/mail/amazon.eml, for driving the app by hand."""
    fake.add_order(
        "202-1234567-7654321",
        buyer_email="8fjw7d2kx@marketplace.amazon.co.uk",
        buyer_name="Jane Doe",
        updated=now - timedelta(hours=3),
    )
    fake.add_order(
        "305-7654321-1234567",
        buyer_email="8fjw7d2kx@marketplace.amazon.co.uk",
        buyer_name="Jane Doe",
        updated=now - timedelta(days=9),
        package_status="DELIVERED",
        review=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8700)
    args = parser.parse_args()
    fake = FakeSpApi()
    demo_orders(fake, datetime.now(UTC))
    with FakeServer(fake, args.port) as running:
        print(f"fake SP-API and LWA on {running.base_url}", flush=True)
        print(f"client id {CLIENT_ID}  secret {CLIENT_SECRET}  refresh token {REFRESH_TOKEN}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            for violation in running.violations:
                print("VIOLATION", violation)


if __name__ == "__main__":
    main()
