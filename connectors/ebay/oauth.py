"""eBay's OAuth: the consent a person gives once in a browser, and the access tokens made from it.

The authorization-code grant gives a refresh token (about 18 months) that lives in the keyring;
access tokens (about 2 hours) are made from it when needed and renewed on a 401, inside an
httpx auth flow, so no API call has to think about tokens. `invalid_grant` means the consent
expired or was withdrawn: only a person can give it again.
"""

from __future__ import annotations

import secrets as random_tokens
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx

from deskterm import secrets
from deskterm.connector import Account, PermanentError
from deskterm.sync import http

from . import api

API_URL = "https://api.ebay.com"
AUTH_URL = "https://auth.ebay.com/oauth2/authorize"
TOKEN_PATH = "/identity/v1/oauth2/token"
SCOPES = (
    "https://api.ebay.com/oauth/api_scope/commerce.message",
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly",
)
REFRESH_TOKEN = "refresh_token"
# The application's client secret is the account's one asked-for secret, kept where
# `account add` keeps every account's password.
CLIENT_SECRET = "password"
# Renew this long before eBay's stated expiry, so a token never dies between check and use.
EXPIRY_MARGIN = 120.0


def consent_command(account: str) -> str:
    return f"deskterm account add ebay {account} --replace"


@dataclass(frozen=True, slots=True)
class App:
    """The seller's eBay application: its keys and its RuName (eBay's name for the redirect URL)."""

    client_id: str
    client_secret: str
    ru_name: str
    api_url: str = API_URL
    auth_url: str = AUTH_URL
    scopes: tuple[str, ...] = SCOPES

    @classmethod
    def of(cls, account: Account) -> App:
        settings = account.settings
        client_secret = secrets.get_secret(account.name, CLIENT_SECRET)
        if not client_secret:
            raise PermanentError(
                f"eBay account {account.name}: no client secret stored; run "
                f"`{consent_command(account.name)}`"
            )
        return cls(
            client_id=settings["client_id"],
            client_secret=client_secret,
            ru_name=settings["ru_name"],
            api_url=settings.get("api_url", API_URL),
            auth_url=settings.get("auth_url", AUTH_URL),
            scopes=tuple(settings.get("scopes", SCOPES)),
        )


def consent_url(app: App, state: str | None = None) -> tuple[str, str]:
    """The page where the seller grants access, and the state value the redirect must carry."""
    state = state or random_tokens.token_urlsafe(16)
    query = urlencode(
        {
            "client_id": app.client_id,
            "redirect_uri": app.ru_name,
            "response_type": "code",
            "scope": " ".join(app.scopes),
            "state": state,
        }
    )
    return f"{app.auth_url}?{query}", state


def code_from(pasted: str, state: str) -> str:
    """The authorization code in what the person pasted: the whole redirected URL, or the code.

    Raises ValueError with what to do when the paste is a refusal or belongs to another request.
    """
    text = pasted.strip()
    if not text:
        raise ValueError("nothing was pasted; paste the address the browser ended on")
    if "://" not in text and "?" not in text:
        return unquote(text) if "%" in text else text
    query = parse_qs(urlsplit(text).query)
    if "error" in query:
        raise ValueError(
            f"eBay says {query['error'][0]}: the consent was not given; open the link again"
        )
    if query.get("state", [state])[0] != state:
        raise ValueError("that address belongs to another consent request; use the new link")
    codes = query.get("code")
    if not codes:
        raise ValueError("that address has no code= in it; paste the address the browser ended on")
    return codes[0]


def _token_call(client: httpx.Client, app: App, form: dict[str, str], account: str) -> dict:
    """POST to eBay's token endpoint; invalid_grant becomes how to consent again."""
    what = f"eBay account {account}: token request"
    # Asking for a token again is harmless, so the shared client may retry it like a GET.
    response = api.exchange(
        client,
        "POST",
        TOKEN_PATH,
        what=what,
        data=form,
        auth=(app.client_id, app.client_secret),
        extensions={"retry": True},
    )
    if response.status_code == 400 and _oauth_error(response) == "invalid_grant":
        raise PermanentError(
            f"eBay account {account}: the consent has expired or was withdrawn (invalid_grant); "
            f"give it again with `{consent_command(account)}`"
        )
    data = http.check(response, what).json()
    for key in ("access_token", "refresh_token"):
        if data.get(key):
            http.register_secret(data[key])
    return data


def _oauth_error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except ValueError:
        return ""


def exchange_code(client: httpx.Client, app: App, code: str, account: str) -> str:
    """Trade the authorization code for a refresh token (which the caller stores)."""
    http.register_secret(code)
    data = _token_call(
        client,
        app,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.ru_name},
        account,
    )
    token = data.get("refresh_token")
    if not token:
        raise PermanentError(f"eBay account {account}: eBay answered without a refresh token")
    return token


class Tokens:
    """Access tokens for one account, made from its stored refresh token; thread-safe."""

    def __init__(
        self,
        account: str,
        app: App,
        client: httpx.Client,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = account
        self.app = app
        self.client = client
        self.clock = clock
        self.renewals = 0
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    def _refresh_token(self) -> str:
        token = secrets.get_secret(self.account, REFRESH_TOKEN)
        if not token:
            raise PermanentError(
                f"eBay account {self.account}: no consent stored; give it with "
                f"`{consent_command(self.account)}`"
            )
        http.register_secret(token)
        return token

    def access(self, *, stale: str = "") -> str:
        """A valid access token; a new one when the current one is near expiry or is `stale`."""
        with self._lock:
            current = self._token and self._token != stale
            if current and self.clock() < self._expires - EXPIRY_MARGIN:
                return self._token
            data = _token_call(
                self.client,
                self.app,
                {
                    "grant_type": "refresh_token",
                    "refresh_token": self._refresh_token(),
                    "scope": " ".join(self.app.scopes),
                },
                self.account,
            )
            self._token = data["access_token"]
            self._expires = self.clock() + float(data.get("expires_in", 7200))
            self.renewals += 1
            return self._token


class EbayAuth(httpx.Auth):
    """Bearer token on every request; one renewal and retry when eBay says it is no longer valid."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.tokens.access()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.tokens.access(stale=token)}"
            yield request
