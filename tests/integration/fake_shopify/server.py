"""A local fake of Shopify's Admin GraphQL API on 127.0.0.1, strict about what it is sent.

Every document is validated against the real Admin API schema (and its variables coerced) with
graphql-core before it runs; anything invalid is answered as Shopify would and recorded in
`invalid`, which the test fixtures check after each test. It answers by executing the document
against the same schema, so responses have the schema's shapes. It keeps Shopify's cost bucket
(THROTTLED when a query asks more than is left), tokens (admin `shpat_` tokens, and minted,
expiring client-credentials tokens), and can be told to fail with an HTTP status or a top-level
error, or to drop a response after doing the work (a crash on the wire).
"""

from __future__ import annotations

import gzip
import json
import secrets
import threading
import time
from collections.abc import Callable
from functools import cache, lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_client_schema,
    execute,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from .cost import LeakyBucket, actual_cost, requested_cost
from .model import Shop
from .roots import Mutations, Queries

SCHEMA_FILE = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "shopify"
    / "shopify-admin-2026-10.introspection.json.gz"
)
API_PATH = "/admin/api/2026-10/graphql.json"
MAX_QUERY_COST = 1000
ALL_SCOPES = frozenset(
    {
        "read_orders",
        "write_orders",
        "read_all_orders",
        "read_customers",
        "write_draft_orders",
        "write_merchant_managed_fulfillment_orders",
    }
)


@cache
def admin_schema() -> GraphQLSchema:
    with gzip.open(SCHEMA_FILE) as fh:
        schema = build_client_schema(json.load(fh)["data"])
    # graphql-core 3.3 refuses some deprecations in Shopify's schema; they do not affect checks.
    schema._validation_errors = []
    return schema


@lru_cache(maxsize=64)
def _checked(document: str) -> tuple[DocumentNode | None, tuple[str, ...]]:
    """The parsed document and what is wrong with it; a connector sends few distinct ones."""
    try:
        tree = parse(document)
    except GraphQLError as exc:
        return None, (exc.message,)
    return tree, tuple(e.message for e in validate(admin_schema(), tree))


def check_document(document: str, variables: dict | None = None) -> list[str]:
    """What is wrong with `document` and its variables against the schema (empty when valid)."""
    schema = admin_schema()
    tree, found = _checked(document)
    problems = list(found)
    if tree is None or problems or variables is None:
        return problems
    for definition in tree.definitions:
        if isinstance(definition, OperationDefinitionNode):
            coerced = get_variable_values(schema, definition.variable_definitions or (), variables)
            if isinstance(coerced, list):
                problems.extend(e.message for e in coerced)
    return problems


class FakeShopify:
    """The fake shop and its HTTP face; start() it, point a connector at `url`, stop() it."""

    def __init__(
        self,
        *,
        maximum: float = 2000.0,
        restore_rate: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.shop = Shop(wall)
        self.shop.scopes = set(ALL_SCOPES)
        self.wall = wall
        self.bucket = LeakyBucket(maximum, restore_rate, clock)
        self.queries = Queries(self.shop)
        self.mutations = Mutations(self.shop)
        self.admin_tokens: set[str] = set()
        self.clients: dict[str, str] = {}
        self.minted: dict[str, float] = {}
        self.token_lifetime = 86399
        self.tokens_minted = 0
        self.invalid: list[tuple[str, list[str]]] = []
        self.operations: list[str] = []
        self.forced: list[tuple[int, dict]] = []
        self.forced_errors: list[dict] = []
        self.drop_once: set[str] = set()
        # Operations whose answer waits, once, after the work is done, until `release` is set
        # (`holding` says one is waiting): time for a test to kill the process that asked.
        self.hold_once: set[str] = set()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.throttled = 0
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None

    # -- set-up -------------------------------------------------------------------------------

    def admin_token(self) -> str:
        token = "shpat_" + secrets.token_hex(16)
        self.admin_tokens.add(token)
        return token

    def client(self) -> tuple[str, str]:
        client_id, secret = secrets.token_hex(8), "shpss_" + secrets.token_hex(16)
        self.clients[client_id] = secret
        return client_id, secret

    def expire_tokens(self) -> None:
        self.minted = {t: 0.0 for t in self.minted}

    def fail_next(self, status: int, body: dict | None = None, times: int = 1) -> None:
        self.forced.extend([(status, body or {"errors": f"HTTP {status}"})] * times)

    def error_next(self, code: str, message: str) -> None:
        self.forced_errors.append({"message": message, "extensions": {"code": code}})

    @property
    def url(self) -> str:
        assert self._http is not None
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> FakeShopify:
        self._http = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    # -- requests ------------------------------------------------------------------------------

    def mint(self, form: dict[str, str]) -> tuple[int, dict]:
        client_id = form.get("client_id", "")
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if self.clients.get(client_id) != form.get("client_secret") or not client_id:
            return 400, {
                "error": "invalid_client",
                "error_description": "Client authentication failed",
            }
        token = "shpca_" + secrets.token_hex(16)
        self.minted[token] = self.wall() + self.token_lifetime
        self.tokens_minted += 1
        scope = ",".join(sorted(self.shop.scopes))
        return 200, {"access_token": token, "scope": scope, "expires_in": self.token_lifetime}

    def authorised(self, token: str) -> bool:
        return token in self.admin_tokens or self.minted.get(token, 0.0) > self.wall()

    def graphql(self, body: dict) -> tuple[int, dict, bool]:
        """(status, response, drop): run one request as Shopify would."""
        if self.forced:
            status, forced = self.forced.pop(0)
            return status, forced, False
        document, variables = body.get("query", ""), body.get("variables") or {}
        problems = check_document(document, variables)
        if problems:
            self.invalid.append((document, problems))
            return 200, {"errors": [{"message": p} for p in problems]}, False
        tree, _ = _checked(document)
        assert tree is not None
        operation = next(d for d in tree.definitions if isinstance(d, OperationDefinitionNode))
        name = operation.name.value if operation.name else ""
        self.operations.append(name)
        if self.forced_errors:
            return 200, {"errors": [self.forced_errors.pop(0)]}, False
        fragments = {
            d.name.value: d for d in tree.definitions if isinstance(d, FragmentDefinitionNode)
        }
        requested = requested_cost(admin_schema(), operation, fragments, variables)
        if requested > MAX_QUERY_COST:
            return 200, self._max_cost(requested), False
        if not self.bucket.take(requested):
            self.throttled += 1
            return 200, self._throttled(requested), False
        mutation = operation.operation.value == "mutation"
        with self._lock:
            result = execute(
                admin_schema(),
                tree,
                root_value=self.mutations if mutation else self.queries,
                variable_values=variables,
            )
        data = result.data
        actual = min(actual_cost(data, mutation=mutation), requested)
        self.bucket.refund(requested, actual)
        response: dict = {"data": data}
        if result.errors:
            response["errors"] = [e.formatted for e in result.errors]
        response["extensions"] = {"cost": self._cost(requested, actual)}
        drop = name in self.drop_once
        self.drop_once.discard(name)
        if name in self.hold_once:
            self.hold_once.discard(name)
            self.holding.set()
            self.release.wait(120)
        return 200, response, drop

    def _cost(self, requested: float, actual: float | None) -> dict:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.bucket.status(),
        }

    def _throttled(self, requested: float) -> dict:
        return {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": self._cost(requested, None)},
        }

    def _max_cost(self, requested: float) -> dict:
        message = (
            f"Query cost is {requested}, which exceeds the single query max cost limit"
            f" ({MAX_QUERY_COST})."
        )
        return {
            "errors": [{"message": message, "extensions": {"code": "MAX_COST_EXCEEDED"}}],
            "extensions": {"cost": self._cost(requested, None)},
        }


def _handler(fake: FakeShopify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:
            """Quiet: tests read the fake's records, not its log."""

        def _reply(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/admin/oauth/access_token":
                if "json" in (self.headers.get("Content-Type") or ""):
                    form = json.loads(raw or b"{}")
                else:
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                self._reply(*fake.mint(form))
                return
            if self.path != API_PATH:
                self._reply(404, {"errors": "Not Found"})
                return
            if not fake.authorised(self.headers.get("X-Shopify-Access-Token", "")):
                self._reply(
                    401,
                    {
                        "errors": "[API] Invalid API key or access token"
                        " (unrecognized login or wrong password)"
                    },
                )
                return
            status, body, drop = fake.graphql(json.loads(raw or b"{}"))
            if drop:
                # The work is done, the answer never arrives: as if the line broke.
                self.close_connection = True
                self.connection.close()
                return
            self._reply(status, body)

    return Handler
