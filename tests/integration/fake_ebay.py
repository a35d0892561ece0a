"""A local fake eBay on 127.0.0.1: OAuth token endpoint, Commerce Message API, Sell Fulfillment API
and media files. Every API request and response is checked against eBay's OpenAPI descriptions
(read from ../shared/specs at run time: their licence forbids copying them into the project),
plus what the descriptions say only in words: declared query parameters and body fields only,
limits eBay caps, offsets on page boundaries. Anything off is recorded in `violations`, which the
fixtures assert empty, and answered 400 as eBay would.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parents[2]
SPECS_ENV = "DESKTERM_SPECS"
MESSAGE = "/commerce/message/v1"
FULFILLMENT = "/sell/fulfillment/v1"
SPEC_FILES = {
    MESSAGE: "ebay-commerce-message-v1.oas3.json",
    FULFILLMENT: "ebay-sell-fulfillment-v1.oas3.json",
}
CLIENT_ID = "Northwind-desk-PRD-0123456789"
CLIENT_SECRET = "PRD-client-secret-abcdef"
RU_NAME = "Northwind-Northwin-deskte-abcdef"
SELLER = "northwind_outfitters"
ACCEPT_URL = "https://northwind-outfitters.example/ebay-accepted"
EXPIRED = {"errorId": 1001, "domain": "OAuth", "category": "REQUEST"}
EXPIRED["message"] = EXPIRED["longMessage"] = "Invalid access token"
LIMITS = {MESSAGE: 50, FULFILLMENT: 200}
ADDRESS = {
    "addressLine1": "1 Main St",
    "city": "Springfield",
    "stateOrProvince": "IL",
    "postalCode": "62701",
    "countryCode": "US",
}
SHIP_TO = {
    "fulfillmentInstructionsType": "SHIP_TO",
    "shippingStep": {
        "shippingCarrierCode": "USPS",
        "shipTo": {"fullName": "Anna Buyer", "contactAddress": ADDRESS},
    },
}


def specs_dir() -> Path | None:
    """$DESKTERM_SPECS, else ../shared/specs beside this checkout or beside the main checkout
    that a git worktree belongs to."""
    if os.environ.get(SPECS_ENV):
        return Path(os.environ[SPECS_ENV])
    roots = [ROOT]
    dot_git = ROOT / ".git"
    if dot_git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        roots.append(Path(dot_git.read_text().split(":", 1)[1].strip()).parents[2])
    for root in roots:
        if (root.parent / "shared" / "specs" / SPEC_FILES[MESSAGE]).is_file():
            return root.parent / "shared" / "specs"
    return None


@cache
def load_specs(specs: Path) -> dict[str, tuple[Any, dict]]:
    """Each API's validator and description, by base path (parsed once per test process)."""
    from openapi_core import OpenAPI

    apis = {}
    for base, name in SPEC_FILES.items():
        spec = json.loads((specs / name).read_text())
        spec["servers"] = [{"url": base}]  # relative: any fake's host and port
        apis[base] = (OpenAPI.from_dict(spec), spec)
    return apis


def ebay_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Fault:
    """An answer the fake gives instead of the real one, `times` times, to requests on `path`."""

    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict = field(default_factory=dict)
    times: int = 1
    after: bool = False  # do the real work first, then answer with the fault (a lost answer)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any


class FakeEbay:
    def __init__(self, specs: Path, now: datetime, *, port: int = 0) -> None:
        self.specs = specs
        self.now = now
        self.conversations: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}
        self.shipments: dict[str, list[dict]] = {}
        self.media: dict[str, bytes] = {}
        self.codes = {"v^1.1#code-from-ebay": "refresh-token-1"}
        self.refresh_tokens = {"refresh-token-1"}
        self.access_tokens: dict[str, float] = {}
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.sent: list[dict] = []
        self.violations: list[str] = []
        self.token_grants: list[str] = []
        self.token_lifetime = 7200
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._apis: dict[str, tuple[Any, dict]] = {}
        self._server = make_server("127.0.0.1", port, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> FakeEbay:
        self._apis = load_specs(self.specs)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Account settings that point the connector here."""
        return {
            "client_id": CLIENT_ID,
            "ru_name": RU_NAME,
            "seller": SELLER,
            "api_url": self.url,
            "auth_url": self.url + "/oauth2/authorize",
            **extra,
        }

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (eBay's two hours are over)."""
        with self._lock:
            self.access_tokens.clear()

    # -- data ---------------------------------------------------------------------------------

    def conversation(
        self, buyer: str, title: str, *, kind: str = "FROM_MEMBERS", listing: str | None = None
    ) -> str:
        cid = str(next(self._ids) + 1000)
        self.conversations[cid] = {
            "conversationId": cid,
            "conversationType": kind,
            "conversationTitle": title,
            "conversationStatus": "ACTIVE",
            "createdDate": ebay_time(self.now),
            "buyer": buyer,
            "messages": [],
            **({"referenceType": "LISTING", "referenceId": listing} if listing else {}),
        }
        return cid

    def message(
        self,
        cid: str,
        text: str,
        *,
        at: datetime | None = None,
        sender: str | None = None,
        media: list[tuple[str, str, bytes]] = (),
    ) -> dict:
        """Add a message (from the buyer unless `sender` says otherwise) to conversation `cid`."""
        conv = self.conversations[cid]
        sender = sender or (conv["buyer"] if conv["conversationType"] == "FROM_MEMBERS" else "eBay")
        items = []
        for name, kind, data in media:
            key = f"{next(self._ids)}-{name}"
            self.media[key] = data
            items.append(
                {"mediaName": name, "mediaType": kind, "mediaUrl": f"{self.url}/media/{key}"}
            )
        message = {
            "messageId": str(next(self._ids) + 5_000_000),
            "messageBody": text,
            "createdDate": ebay_time(at or self.now),
            "readStatus": False,
            "senderUsername": sender,
            "recipientUsername": SELLER if sender != SELLER else conv["buyer"],
            "subject": conv["conversationTitle"],
            "messageMedia": items,
        }
        conv["messages"].append(message)
        return message

    def order(
        self,
        order_id: str,
        buyer: str,
        *,
        email: str = "",
        listing: str = "",
        title: str = "",
        shipped: tuple[str, str] | None = None,
        modified: datetime | None = None,
    ) -> dict:
        """An order of one item; `shipped` is (carrier, tracking number)."""
        created = ebay_time(self.now - timedelta(days=3))
        order = {
            "orderId": order_id,
            "creationDate": created,
            "lastModifiedDate": ebay_time(modified or self.now - timedelta(days=1)),
            "orderFulfillmentStatus": "FULFILLED" if shipped else "NOT_STARTED",
            "orderPaymentStatus": "PAID",
            "sellerId": SELLER,
            "buyer": {
                "username": buyer,
                "buyerRegistrationAddress": {"fullName": "Anna Buyer", "email": email},
            },
            "pricingSummary": {"total": {"value": "42.50", "currency": "USD"}},
            "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
            "fulfillmentHrefs": [],
            "fulfillmentStartInstructions": [SHIP_TO],
            "lineItems": [
                {
                    "lineItemId": f"{order_id}-1",
                    "legacyItemId": listing or "110000000001",
                    "title": title or "Trail running shoes",
                    "quantity": 1,
                    "lineItemCost": {"value": "42.50", "currency": "USD"},
                    "lineItemFulfillmentStatus": "FULFILLED" if shipped else "NOT_STARTED",
                }
            ],
        }
        if shipped:
            href = f"{self.url}{FULFILLMENT}/order/{order_id}/shipping_fulfillment/F{order_id}"
            order["fulfillmentHrefs"] = [href]
            self.shipments[order_id] = [
                {
                    "fulfillmentId": f"F{order_id}",
                    "shippingCarrierCode": shipped[0],
                    "shipmentTrackingNumber": shipped[1],
                    "shippedDate": ebay_time(self.now - timedelta(days=2)),
                    "lineItems": [{"lineItemId": f"{order_id}-1", "quantity": 1}],
                }
            ]
        self.orders[order_id] = order
        return order

    # -- serving ------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        self.seen.append(Seen(request.method, request.path, dict(request.args), body))
        fault = next((f for f in self.faults if request.path.startswith(f.path) and f.times), None)
        if fault and not fault.after:
            fault.times -= 1
            return _json(fault.body, fault.status, fault.headers)
        if request.path.startswith("/media/"):
            response = self._media(request)
        elif request.path == "/oauth2/authorize":
            response = self._consent(request)
        elif request.path == "/identity/v1/oauth2/token":
            response = self._token(request)
        else:
            response = self._api(request)
        if fault:
            fault.times -= 1
            return _json(fault.body, fault.status, fault.headers)
        return response

    def _violation(self, text: str, status: int = 400) -> Response:
        self.violations.append(text)
        return _json(
            {"errors": [{"errorId": 2004, "category": "REQUEST", "message": text}]}, status
        )

    def _media(self, request: Request) -> Response:
        if "Authorization" in request.headers:
            self.violations.append(f"the access token was sent to a media address: {request.path}")
        data = self.media.get(request.path.removeprefix("/media/"))
        if data is None:
            return Response("not found", 404)
        return Response(data, 200, content_type="application/octet-stream")

    def _consent(self, request: Request) -> Response:
        """The seller agrees at once: eBay sends the browser to the RuName's accept URL."""
        args = request.args
        wanted = {"client_id": CLIENT_ID, "redirect_uri": RU_NAME, "response_type": "code"}
        wrong = [k for k, v in wanted.items() if args.get(k) != v]
        if wrong or not args.get("state") or not args.get("scope"):
            return self._violation(
                f"consent request with wrong or missing {wrong or 'state/scope'}"
            )
        code = next(iter(self.codes))
        query = urlencode({"state": args["state"], "code": code, "expires_in": 299})
        return Response(status=302, headers={"Location": f"{ACCEPT_URL}?{query}"})

    def _token(self, request: Request) -> Response:
        auth = request.authorization
        if not auth or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return self._violation("token request without the application's Basic credentials", 401)
        form = request.form
        grant = form.get("grant_type", "")
        self.token_grants.append(grant)
        if grant == "authorization_code":
            if form.get("redirect_uri") != RU_NAME:
                return self._violation(
                    f"redirect_uri must be the RuName, not {form.get('redirect_uri')!r}"
                )
            refresh = self.codes.pop(form.get("code", ""), None)
            if refresh is None:
                return _json(
                    {"error": "invalid_grant", "error_description": "the code is invalid"}, 400
                )
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            if refresh not in self.refresh_tokens:
                return _json(
                    {
                        "error": "invalid_grant",
                        "error_description": "the refresh token is invalid or was revoked",
                    },
                    400,
                )
            if not form.get("scope"):
                return self._violation("refresh without scope")
        else:
            return self._violation(f"unknown grant_type {grant!r}")
        access = f"v^1.1#access-{next(self._ids)}"
        self.access_tokens[access] = time.monotonic() + self.token_lifetime
        answer = {
            "access_token": access,
            "expires_in": self.token_lifetime,
            "token_type": "User Access Token",
        }
        if grant == "authorization_code":
            answer |= {"refresh_token": refresh, "refresh_token_expires_in": 47304000}
        return _json(answer)

    def _api(self, request: Request) -> Response:
        base = next((b for b in SPEC_FILES if request.path.startswith(b + "/")), None)
        if base is None:
            return self._violation(f"no such API: {request.method} {request.path}", 404)
        problem = self._check_request(base, request)
        if problem:
            return self._violation(problem)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.access_tokens.get(token, 0) < time.monotonic():
            return _json({"errors": [EXPIRED]}, 401)
        response = self._route(base, request)
        self._check_response(base, request, response)
        return response

    def _check_request(self, base: str, request: Request) -> str | None:
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

        api, spec = self._apis[base]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eBay's oauth2 scheme has no flows openapi-core knows
            errors = list(api.iter_request_errors(WerkzeugOpenAPIRequest(request)))
        if errors:
            return f"{request.method} {request.path}: {'; '.join(_why(e) for e in errors)}"
        operation = _operation(spec, base, request)
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        unknown = set(request.args) - declared
        if unknown:
            return f"{request.method} {request.path}: undeclared query parameters {sorted(unknown)}"
        limit, offset = request.args.get("limit"), request.args.get("offset", "0")
        if limit is not None:
            if not limit.isdigit() or not 0 < int(limit) <= LIMITS[base]:
                return f"{request.path}: limit {limit} outside 1..{LIMITS[base]}"
            if not offset.isdigit() or int(offset) % int(limit):
                return f"{request.path}: offset {offset} is not on a page of {limit}"
        return _unknown_fields(spec, operation, request)

    def _check_response(self, base: str, request: Request, response: Response) -> None:
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

        api, _ = self._apis[base]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            errors = list(
                api.iter_response_errors(
                    WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
                )
            )
        self.violations.extend(f"fake answered off-spec: {_why(e)}" for e in errors)

    # -- the API ------------------------------------------------------------------------------

    def _route(self, base: str, request: Request) -> Response:
        path = request.path.removeprefix(base)
        if base == FULFILLMENT:
            if path == "/order":
                return self._orders(request)
            found = re.fullmatch(r"/order/([^/]+)", path)
            if found and found[1] in self.orders:
                return _json(self.orders[found[1]])
            found = re.fullmatch(r"/order/([^/]+)/shipping_fulfillment", path)
            if found and found[1] in self.orders:
                shipments = self.shipments.get(found[1], [])
                return _json({"fulfillments": shipments, "total": len(shipments)})
            return _error(32100, f"Invalid order ID: {path}", 404)
        if path == "/conversation":
            return self._conversations(request)
        if path.startswith("/conversation/"):
            return self._messages(request, path.removeprefix("/conversation/"))
        body = request.get_json()
        if path == "/send_message":
            return self._send(body)
        conv = self.conversations.get(body.get("conversationId", ""))
        if conv is None or conv["conversationType"] != body.get("conversationType"):
            return _error(355007, "Invalid or unrecognized conversation_id value.")
        if body.get("read"):
            for message in conv["messages"]:
                message["readStatus"] = True
        return Response(status=204)

    def _page(self, request: Request, items: list, default: int) -> tuple[list, dict]:
        limit = int(request.args.get("limit", default))
        offset = int(request.args.get("offset", 0))
        meta = {"href": request.url, "limit": limit, "offset": offset, "total": len(items)}
        if offset + limit < len(items):
            args = {**request.args, "offset": str(offset + limit), "limit": str(limit)}
            meta["next"] = request.base_url + "?" + "&".join(f"{k}={v}" for k, v in args.items())
        return items[offset : offset + limit], meta

    def _conversations(self, request: Request) -> Response:
        kind = request.args.get("conversation_type")
        if kind not in ("FROM_MEMBERS", "FROM_EBAY"):
            return _error(
                355017, "The required conversation_type query parameter is missing or invalid."
            )
        start = request.args.get("start_time")
        if start and kind != "FROM_MEMBERS":
            return self._violation("start_time is only available for FROM_MEMBERS")
        chosen = [
            c
            for c in self.conversations.values()
            if c["conversationType"] == kind
            and c["messages"]
            and (not start or c["messages"][-1]["createdDate"] >= start)
        ]
        chosen.sort(key=lambda c: c["messages"][-1]["createdDate"], reverse=True)
        page, meta = self._page(request, chosen, 25)
        return _json({"conversations": [_detail(c) for c in page], **meta})

    def _messages(self, request: Request, cid: str) -> Response:
        conv = self.conversations.get(cid)
        if conv is None or conv["conversationType"] != request.args.get("conversation_type"):
            return _error(355007, "Invalid or unrecognized conversation_id value.")
        page, meta = self._page(request, conv["messages"], 25)
        return _json(
            {
                "conversationStatus": conv["conversationStatus"],
                "conversationTitle": conv["conversationTitle"],
                "conversationType": conv["conversationType"],
                "messages": page,
                **meta,
            }
        )

    def _send(self, body: dict) -> Response:
        conv = self.conversations.get(body.get("conversationId", ""))
        if conv is None or conv["conversationType"] != "FROM_MEMBERS":
            return _error(355007, "Invalid or unrecognized conversation_id value.")
        text = body.get("messageText", "")
        if len(text) > 2000:
            return _error(
                355013, "The messageText string exceeds the maximum character threshold of 2000."
            )
        message = self.message(conv["conversationId"], text, sender=SELLER)
        self.sent.append(body)
        return _json(
            {
                "messageId": message["messageId"],
                "messageBody": text,
                "createdDate": message["createdDate"],
                "readStatus": False,
                "senderUserName": SELLER,
                "recipientUserName": conv["buyer"],
                "subject": conv["conversationTitle"],
            },
            201,
        )

    def _orders(self, request: Request) -> Response:
        if re.search(r"[\[\]{}|]", request.query_string.decode()):
            return self._violation("getOrders needs [ ] { } | percent-encoded in the query")
        since = None
        for criterion in filter(None, request.args.get("filter", "").split(",")):
            found = re.fullmatch(r"lastmodifieddate:\[(\S+?)\.\.\]", criterion)
            if not found:
                return _error(30700, f"Invalid filter name: {criterion}")
            since = found[1]
        chosen = sorted(
            (o for o in self.orders.values() if not since or o["lastModifiedDate"] >= since),
            key=lambda o: o["lastModifiedDate"],
        )
        page, meta = self._page(request, chosen, 50)
        # getOrders always lists cancellation requests empty; only getOrder has them.
        listed = [_without_cancel_requests(o) for o in page]
        return _json({"orders": listed, **meta})


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status, headers=headers, content_type="application/json")


def _error(error_id: int, message: str, status: int = 400) -> Response:
    return _json(
        {"errors": [{"errorId": error_id, "category": "REQUEST", "message": message}]}, status
    )


def _without_cancel_requests(order: dict) -> dict:
    return {**order, "cancelStatus": {**order["cancelStatus"], "cancelRequests": []}}


def _detail(conv: dict) -> dict:
    """A conversation as getConversations lists it."""
    detail = {k: v for k, v in conv.items() if k not in ("buyer", "messages")}
    unread = sum(not m["readStatus"] for m in conv["messages"])
    return {**detail, "latestMessage": conv["messages"][-1], "unreadCount": unread}


def _why(error: Exception) -> str:
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None)
    if details:
        return f"{error}: " + "; ".join(e.message for e in details)
    return str(error)


def _operation(spec: dict, base: str, request: Request) -> dict:
    path = request.path.removeprefix(base)
    for template, methods in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and request.method.lower() in methods:
            return methods[request.method.lower()]
    return {}


def _unknown_fields(spec: dict, operation: dict, request: Request) -> str | None:
    """Body fields the schema does not declare (eBay ignores or rejects them; either is a bug)."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content or not request.get_data():
        return None
    ref = content["schema"]["$ref"].rsplit("/", 1)[1]
    declared = set(spec["components"]["schemas"][ref].get("properties", {}))
    unknown = set(json.loads(request.get_data())) - declared
    return f"{request.path}: undeclared body fields {sorted(unknown)}" if unknown else None
