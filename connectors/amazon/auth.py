"""Login with Amazon: a stored refresh token buys short-lived access tokens for the SP-API.

`LwaAuth` is an httpx auth flow, so every request of the account's client carries a fresh
`x-amz-access-token` and nothing else in the connector thinks about tokens: it fetches one before
the first call, again shortly before it expires, and once more when Amazon answers 403 because
the token expired in between (a long sync, a sleeping laptop).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

import httpx

from deskterm.connector import PermanentError, TemporaryError
from deskterm.sync import http

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
# Renew this long before Amazon's stated expiry, so a token never expires in flight.
EARLY = 60.0
EXPIRED = "expired"


def token_expired(response: httpx.Response) -> bool:
    """True when a 403 says the access token expired (not that a role is missing)."""
    if response.status_code != 403:
        return False
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return False
    return any(
        EXPIRED in f"{e.get('message', '')} {e.get('details', '')}".lower()
        for e in errors
        if isinstance(e, dict)
    )


class LwaAuth(httpx.Auth):
    """Adds an LWA access token to each SP-API request; renews it when it runs out."""

    requires_response_body = True

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0
        self.renewals = 0
        http.register_secret(client_secret)
        http.register_secret(refresh_token)

    def _current(self) -> str | None:
        with self._lock:
            if self._token and self._clock() < self._expires - EARLY:
                return self._token
            return None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        if token is None:
            token = yield from self._renew()
        request.headers["x-amz-access-token"] = token
        response = yield request
        if token_expired(response):
            token = yield from self._renew()
            request.headers["x-amz-access-token"] = token
            yield request

    def _renew(self) -> Generator[httpx.Request, httpx.Response, str]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        # Asking for a token twice is harmless, so a dropped connection may be retried.
        response = yield httpx.Request(
            "POST", self.token_url, data=form, extensions={"retry": True}
        )
        if response.status_code in (400, 401):
            raise PermanentError(
                f"Login with Amazon refused the account's credentials: {http.error_text(response)}"
                " (check the client id, secret and refresh token: `deskterm account add amazon`)"
            )
        http.check(response, "Login with Amazon token refresh")
        try:
            data = response.json()
            token, lifetime = str(data["access_token"]), float(data.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise TemporaryError(f"Login with Amazon answered without a token ({exc})") from None
        http.register_secret(token)
        with self._lock:
            self._token, self._expires = token, self._clock() + lifetime
            self.renewals += 1
        return token
