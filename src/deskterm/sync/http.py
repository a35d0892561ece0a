"""The one HTTP client every HTTP connector uses.

`make_client` gives an httpx.Client whose transport waits for the channel's rate limit, retries
what is safe to retry (429 always, since the server did not act on it; 5xx and dropped
connections only for idempotent requests or those marked ``extensions={"retry": True}``) with
capped, jittered backoff and the server's Retry-After, and logs requests without their secrets.
`call` sends one request and turns every failure into the connector contract's errors, with the
server's own words (redacted, control characters stripped) so a person can act on them.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import httpx

from deskterm.connector import PermanentError, TemporaryError

log = logging.getLogger("deskterm.http")

USER_AGENT = "deskterm/0.1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# A server asking for a longer pause than this is not waited for inline: the request fails as
# temporary with its retry_after, and the sync engine comes back later instead of blocking.
MAX_INLINE_WAIT = 60.0
SECRET_QUERY_KEYS = re.compile(r"token|secret|password|key|code|signature|assertion", re.I)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ERROR_TEXT_LIMIT = 300

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Remember a token or password so it never appears in a log line or an error message."""
    if len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, "***")
    return text


def safe_url(url: httpx.URL) -> str:
    """The URL for a log line: query values whose names look secret are hidden."""
    params = [
        (name, "***" if SECRET_QUERY_KEYS.search(name) else value)
        for name, value in url.params.multi_items()
    ]
    return redact(str(url.copy_with(params=params) if params else url))


class TokenBucket:
    """Up to `capacity` requests (or cost points) at once, refilled at `rate` per second.

    Thread-safe: one bucket may be shared by every client of a channel account in the process.
    `observe` lets a server that reports its own bucket (Shopify's cost extension, Amazon's
    x-amzn-RateLimit-Limit) correct the local estimate.
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("a token bucket needs a positive rate and capacity")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens

    def take(self, cost: float = 1.0) -> float:
        """Block until `cost` tokens are there, take them, and return the seconds waited."""
        cost = min(cost, self.capacity)
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= cost:
                    self._tokens -= cost
                    return waited
                pause = (cost - self._tokens) / self.rate
            self._sleep(pause)
            waited += pause

    def observe(
        self, available: float, rate: float | None = None, capacity: float | None = None
    ) -> None:
        """Adopt what the server says is left (and its rate and size, when it says so)."""
        with self._lock:
            self._refill()
            if rate:
                self.rate = rate
            if capacity:
                self.capacity = capacity
            self._tokens = max(0.0, min(self.capacity, available))


_buckets: dict[str, TokenBucket] = {}
_buckets_lock = threading.Lock()


def shared_bucket(key: str, rate: float, capacity: float) -> TokenBucket:
    """The process-wide bucket for `key` (say ``"shopify:shop.myshopify.com"``), made once."""
    with _buckets_lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _buckets[key] = TokenBucket(rate, capacity)
        return bucket


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait (Retry-After as seconds or as an HTTP date), if any."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _replayable(request: httpx.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or bool(request.extensions.get("retry"))


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport with the rate limit and the retry policy described in the module."""

    def __init__(
        self,
        wrapped: httpx.BaseTransport,
        *,
        retries: int,
        limiter: TokenBucket | None,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 0.5,
        backoff_cap: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.wrapped = wrapped
        self.retries = retries
        self.limiter = limiter
        self.sleep = sleep
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.rng = rng or random.Random()

    def _pause(self, attempt: int) -> float:
        """Full jitter: a random pause up to the capped exponential step."""
        return self.rng.uniform(0, min(self.backoff_cap, self.backoff * 2**attempt))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            if self.limiter is not None:
                self.limiter.take(float(request.extensions.get("cost", 1.0)))
            try:
                response = self.wrapped.handle_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                # Nothing reached the server: safe to try again whatever the method.
                if attempt >= self.retries:
                    raise
            except httpx.TransportError:
                if attempt >= self.retries or not _replayable(request):
                    raise
            else:
                retryable = response.status_code == 429 or (
                    response.status_code in RETRY_STATUSES and _replayable(request)
                )
                if not retryable or attempt >= self.retries:
                    return response
                wait = retry_after(response)
                if wait is not None and wait > MAX_INLINE_WAIT:
                    return response
                response.read()
                response.close()
                log.info(
                    "%s %s: HTTP %s, retry %d/%d",
                    request.method,
                    safe_url(request.url),
                    response.status_code,
                    attempt + 1,
                    self.retries,
                )
                self.sleep(wait if wait is not None else self._pause(attempt))
                attempt += 1
                continue
            self.sleep(self._pause(attempt))
            attempt += 1

    def close(self) -> None:
        self.wrapped.close()


def _log_request(request: httpx.Request) -> None:
    log.debug("%s %s", request.method, safe_url(request.url))


def make_client(
    channel: str,
    *,
    base_url: str,
    auth: httpx.Auth | None = None,
    headers: dict[str, str] | None = None,
    limiter: TokenBucket | None = None,
    timeout: float = 30.0,
    retries: int = 4,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Client:
    """An httpx.Client for one channel account with the house's timeouts, retries and limits.

    `transport` replaces the network (tests pass httpx.MockTransport or point `base_url` at a
    local fake server); `sleep` lets tests run backoff without waiting.
    """
    retrying = RetryTransport(
        transport or httpx.HTTPTransport(), retries=retries, limiter=limiter, sleep=sleep
    )
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        headers={"User-Agent": f"{USER_AGENT} ({channel})", **(headers or {})},
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        transport=retrying,
        event_hooks={"request": [_log_request]},
        follow_redirects=False,
    )


def _messages(data: Any) -> Iterable[str]:
    """Human-readable error strings from the usual JSON error shapes of REST and GraphQL APIs."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, list):
        for item in data:
            yield from _messages(item)
    elif isinstance(data, dict):
        found = False
        for key in ("errors", "error_description", "message", "longMessage", "details", "error"):
            if data.get(key):
                found = True
                yield from _messages(data[key])
                if key == "error_description":
                    break
        if not found and "errorId" in data:
            yield f"error {data['errorId']}"


def clean(text: str) -> str:
    """Server text made safe to show: secrets redacted, control characters gone, one short line."""
    text = CONTROL.sub(" ", redact(text))
    text = " ".join(text.split())
    return text if len(text) <= ERROR_TEXT_LIMIT else text[: ERROR_TEXT_LIMIT - 1] + "…"


def error_text(response: httpx.Response) -> str:
    """What the server said about a failed request, as one clean line."""
    try:
        data = response.json()
    except ValueError:
        data = None
    parts = list(dict.fromkeys(_messages(data))) if data is not None else []
    text = "; ".join(str(part) for part in parts) or response.text or response.reason_phrase
    return clean(text)


def check(response: httpx.Response, what: str) -> httpx.Response:
    """`response` when it succeeded, else the contract's error naming `what` and the server's words.

    429 and 5xx are temporary (with the server's Retry-After); other 4xx are permanent.
    """
    if response.is_success:
        return response
    status = response.status_code
    message = f"{what}: HTTP {status}: {error_text(response)}"
    if status == 429 or status >= 500:
        raise TemporaryError(message, retry_after=retry_after(response))
    raise PermanentError(message)


def call(
    client: httpx.Client, method: str, url: str, *, what: str, **kwargs: Any
) -> httpx.Response:
    """Send one request through `client` and `check` it; network failures are temporary errors."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TemporaryError(f"{what}: no answer from {client.base_url.host} ({exc})") from None
    except httpx.TransportError as exc:
        raise TemporaryError(
            f"{what}: cannot reach {client.base_url.host}: {clean(str(exc))}"
        ) from None
    return check(response, what)
