"""How the connector proves itself to a shop: an admin token, or client credentials.

Custom apps made in Shopify's Dev Dashboard (since 2026) get access tokens by the
client-credentials grant: about 24 hours each, with no refresh token, so the connector keeps the
client id and secret in the keyring and mints a new token when the last one is about to expire or
is refused. Admin API tokens (`shpat_...`) of older custom apps do not expire.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Generator

import httpx

from deskterm import secrets
from deskterm.connector import PermanentError
from deskterm.sync import http

TOKEN_HEADER = "X-Shopify-Access-Token"
MINT_PATH = "/admin/oauth/access_token"
# A token this close to its end is replaced before use, so no request meets its expiry.
RENEW_BEFORE = 300.0


class AdminToken(httpx.Auth):
    """A fixed admin API token sent with every request."""

    def __init__(self, token: str) -> None:
        http.register_secret(token)
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[TOKEN_HEADER] = self.token
        yield request


class ClientCredentials(httpx.Auth):
    """Mints tokens with the client id and secret, keeps the current one in the keyring, renews
    it before it expires, and once more when Shopify refuses it (revoked, clock skew)."""

    def __init__(
        self,
        account: str,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        http.register_secret(client_secret)
        self.account = account
        self.url = base_url.rstrip("/") + MINT_PATH
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.scopes: tuple[str, ...] = ()
        self._token, self._expires = self._cached()

    def _cached(self) -> tuple[str | None, float]:
        try:
            stored = secrets.get_secret(self.account, "access_token")
        except secrets.SecretError:
            return None, 0.0
        if not stored:
            return None, 0.0
        try:
            data = json.loads(stored)
            token, expires = str(data["token"]), float(data["expires_at"])
        except (ValueError, KeyError, TypeError):
            return None, 0.0
        http.register_secret(token)
        return token, expires

    def _mint_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            extensions={"cost": 0.0},
        )

    def _accept(self, response: httpx.Response) -> str:
        response.read()
        if not response.is_success:
            raise PermanentError(
                f"Shopify refused the client id and secret of {self.account} (HTTP "
                f"{response.status_code}: {http.error_text(response)}); check them in the Dev "
                f"Dashboard and run: deskterm account add shopify {self.account} --replace"
            )
        data = response.json()
        token = str(data["access_token"])
        http.register_secret(token)
        self._token = token
        self._expires = self.clock() + float(data.get("expires_in") or 86_399)
        self.scopes = tuple(s for s in str(data.get("scope") or "").split(",") if s)
        # Kept so the next process does not mint again; losing it only costs one more mint.
        with contextlib.suppress(secrets.SecretError):
            secrets.set_secret(
                self.account,
                json.dumps({"token": token, "expires_at": self._expires}),
                "access_token",
            )
        return token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token
        if token is None or self._expires - self.clock() < RENEW_BEFORE:
            token = self._accept((yield self._mint_request()))
        request.headers[TOKEN_HEADER] = token
        response = yield request
        if response.status_code == 401:
            # Shopify did not act on a request it refused, so sending it again is safe.
            token = self._accept((yield self._mint_request()))
            request.headers[TOKEN_HEADER] = token
            yield request


def auth_for(account: str, settings: dict, base_url: str) -> httpx.Auth:
    """The Auth of an account, from its settings and its secrets in the keyring."""
    try:
        if settings.get("auth") == "client_credentials":
            client_id = secrets.get_secret(account, "client_id")
            secret = secrets.get_secret(account, "client_secret")
            if client_id and secret:
                return ClientCredentials(account, base_url, client_id, secret)
        else:
            token = secrets.get_secret(account, "admin_token")
            if token:
                return AdminToken(token)
    except secrets.SecretError as exc:
        raise PermanentError(str(exc)) from None
    raise PermanentError(
        f"no Shopify credentials stored for {account}; run: deskterm account add shopify "
        f"{account} --replace"
    )
