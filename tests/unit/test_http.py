"""deskterm.sync.http: the shared client's retries, rate limits, error words and secret hygiene."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from deskterm.connector import PermanentError, TemporaryError
from deskterm.sync import http


class Script:
    """A fake server answering from a list of (status, headers, body) or exceptions, in order."""

    def __init__(self, *answers: tuple[int, dict[str, str], object] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers, body = answer
        if isinstance(body, str):
            return httpx.Response(status, headers=headers, text=body)
        return httpx.Response(status, headers=headers, json=body)


def client_for(script: Script, sleeps: list[float], **kwargs) -> httpx.Client:
    return http.make_client(
        "test",
        base_url="https://api.example",
        transport=httpx.MockTransport(script),
        sleep=sleeps.append,
        **kwargs,
    )


OK = (200, {}, {"ok": True})


def test_429_waits_as_long_as_retry_after_says_then_succeeds():
    script = Script((429, {"Retry-After": "2"}, {"message": "slow down"}), OK)
    sleeps: list[float] = []
    response = http.call(client_for(script, sleeps), "POST", "/send", what="send", json={"a": 1})
    assert response.json() == {"ok": True}
    assert sleeps == [2.0]
    assert [r.content for r in script.requests] == [b'{"a":1}', b'{"a":1}']


def test_retry_after_as_an_http_date():
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT"})
    now = http.datetime(2026, 10, 21, 7, 28, 0, tzinfo=http.UTC)
    assert http.retry_after(response, now) == 30.0


def test_server_errors_are_retried_for_reads_but_not_for_unmarked_writes():
    sleeps: list[float] = []
    read = Script((503, {}, "busy"), (502, {}, "busy"), OK)
    assert http.call(client_for(read, sleeps), "GET", "/orders", what="orders").is_success
    assert len(read.requests) == 3
    assert len(sleeps) == 2 and all(0 <= pause <= 1.0 for pause in sleeps)

    write = Script((503, {}, {"message": "try later"}), OK)
    with pytest.raises(TemporaryError, match="refund: HTTP 503: try later"):
        http.call(client_for(write, []), "POST", "/refund", what="refund")
    assert len(write.requests) == 1

    marked = Script((503, {}, "busy"), OK)
    client = client_for(marked, [])
    assert http.call(client, "POST", "/q", what="query", extensions={"retry": True}).is_success
    assert len(marked.requests) == 2


def test_giving_up_after_the_retries_reports_the_servers_words():
    script = Script(*[(429, {"Retry-After": "1"}, {"errors": [{"message": "Throttled"}]})] * 3)
    with pytest.raises(TemporaryError, match="orders: HTTP 429: Throttled") as caught:
        http.call(client_for(script, [], retries=2), "GET", "/orders", what="orders")
    assert caught.value.retry_after == 1.0
    assert len(script.requests) == 3


def test_a_long_retry_after_is_left_to_the_sync_engine_instead_of_blocking():
    script = Script((429, {"Retry-After": "600"}, "quota"), OK)
    sleeps: list[float] = []
    with pytest.raises(TemporaryError) as caught:
        http.call(client_for(script, sleeps), "GET", "/orders", what="orders")
    assert caught.value.retry_after == 600.0
    assert sleeps == []


def test_connection_failures_retry_only_when_nothing_can_have_reached_the_server():
    refused = Script(httpx.ConnectError("refused"), OK)
    assert http.call(client_for(refused, []), "POST", "/send", what="send").is_success

    timed_out = Script(httpx.ReadTimeout("slow"), OK)
    with pytest.raises(TemporaryError, match=r"send: no answer from api\.example"):
        http.call(client_for(timed_out, []), "POST", "/send", what="send")
    assert len(timed_out.requests) == 1

    down = Script(*[httpx.ConnectError("refused")] * 5)
    with pytest.raises(TemporaryError, match=r"cannot reach api\.example"):
        http.call(client_for(down, []), "GET", "/orders", what="orders")


def test_client_errors_are_permanent_and_quote_the_channel():
    ebay = {
        "errors": [{"errorId": 1100, "message": "Access denied", "longMessage": "Insufficient"}]
    }
    script = Script((403, {}, ebay))
    with pytest.raises(PermanentError, match="HTTP 403: Access denied; Insufficient"):
        http.call(client_for(script, []), "GET", "/conversation", what="conversations")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error": "invalid_grant", "error_description": "Refresh token expired"},
            "Refresh token expired",
        ),
        (
            {"errors": [{"message": "Field 'x' doesn't exist", "extensions": {}}]},
            "Field 'x' doesn't exist",
        ),
        (
            {"errors": "[API] Invalid API key or access token"},
            "[API] Invalid API key or access token",
        ),
        ("plain\x1b[31mred\x07 text", "plain [31mred text"),
    ],
)
def test_error_text_reads_the_usual_shapes_as_plain_text(body, expected):
    response = (
        httpx.Response(400, text=body) if isinstance(body, str) else httpx.Response(400, json=body)
    )
    assert http.error_text(response) == expected


def test_secrets_never_reach_errors_or_logs(caplog):
    http.register_secret("shpat_0123456789abcdef")
    script = Script((401, {}, {"errors": "token shpat_0123456789abcdef is not valid"}))
    client = client_for(script, [], headers={"X-Token": "shpat_0123456789abcdef"})
    caplog.set_level(logging.DEBUG, logger="deskterm.http")
    with pytest.raises(PermanentError) as caught:
        http.call(client, "GET", "/x", what="test", params={"access_token": "abc123xyz"})
    assert "shpat_0123456789abcdef" not in str(caught.value)
    assert "token *** is not valid" in str(caught.value)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "abc123xyz" not in logged and "access_token=%2A%2A%2A" in logged


def fake_clock() -> tuple[Callable[[], float], Callable[[float], None]]:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return (lambda: now[0]), sleep


def test_token_bucket_spends_its_burst_then_paces_at_its_rate():
    clock, sleep = fake_clock()
    bucket = http.TokenBucket(rate=2.0, capacity=4.0, clock=clock, sleep=sleep)
    waits = [bucket.take() for _ in range(8)]
    assert waits[:4] == [0.0] * 4
    assert waits[4:] == pytest.approx([0.5] * 4)
    assert clock() == pytest.approx(2.0)


def test_token_bucket_follows_what_the_server_reports():
    clock, sleep = fake_clock()
    bucket = http.TokenBucket(rate=50.0, capacity=1000.0, clock=clock, sleep=sleep)
    bucket.observe(available=100.0, rate=100.0, capacity=2000.0)
    assert bucket.available() == 100.0
    assert bucket.take(300.0) == pytest.approx(2.0)
    assert (bucket.rate, bucket.capacity) == (100.0, 2000.0)


def test_the_bucket_paces_the_client(monkeypatch):
    clock, sleep = fake_clock()
    bucket = http.TokenBucket(rate=1.0, capacity=1.0, clock=clock, sleep=sleep)
    script = Script(OK, OK, OK)
    client = client_for(script, [], limiter=bucket)
    for _ in range(3):
        http.call(client, "GET", "/x", what="x")
    assert clock() == pytest.approx(2.0)


def test_shared_buckets_are_one_per_key():
    one = http.shared_bucket("test:shop-a", 2.0, 40.0)
    assert http.shared_bucket("test:shop-a", 9.0, 9.0) is one
    assert http.shared_bucket("test:shop-b", 2.0, 40.0) is not one


@pytest.fixture
def flaky_server() -> Iterator[tuple[str, list[bytes]]]:
    """A real HTTP server on loopback: the first POST gets 429, the next ones 200."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            status = 429 if len(bodies) == 1 else 200
            payload = json.dumps({"n": len(bodies)}).encode()
            self.send_response(status)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", bodies
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_server_throttling_once_gets_the_same_body_again(flaky_server):
    base_url, bodies = flaky_server
    with http.make_client("test", base_url=base_url, sleep=lambda _: None) as client:
        response = http.call(client, "POST", "/messages", what="send", json={"text": "hi"})
    assert response.json() == {"n": 2}
    assert bodies == [b'{"text":"hi"}', b'{"text":"hi"}']
