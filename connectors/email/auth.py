"""Credentials for IMAP and SMTP: a password from secrets, or an XOAUTH2 access token.

An access token comes from `token_command` (any program that prints one, e.g. `pass show ...` or
`oauth2l fetch ...`), or is refreshed from a stored refresh token at `oauth_token_url` with
`oauth_client_id` (and an optional stored `client_secret`), as Gmail and Microsoft 365 expect.
"""

from __future__ import annotations

import shlex
import subprocess
import time

from deskterm import secrets
from deskterm.connector import Account, PermanentError, TemporaryError


def password(account: Account) -> str:
    value = secrets.get_secret(account.name, "password")
    if not value:
        raise PermanentError(
            f"no password stored for account {account.name!r}; run `deskterm account add email "
            f"{account.name}` again or set {secrets.env_name(account.name)}"
        )
    return value


def xoauth2(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (RFC 7628 style, as Google and Microsoft define it)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class TokenSource:
    """Hands out an OAuth2 access token for one account, refreshing it shortly before expiry."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._token: str | None = None
        self._expires = 0.0

    def token(self) -> str:
        if self._token and time.monotonic() < self._expires - 60:
            return self._token
        command = self.account.settings.get("token_command")
        if command:
            self._token, lifetime = self._from_command(command), 300.0
        else:
            self._token, lifetime = self._refresh()
        self._expires = time.monotonic() + lifetime
        return self._token

    def _from_command(self, command: str) -> str:
        try:
            done = subprocess.run(
                shlex.split(command), capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TemporaryError(f"token command {command!r} failed to run: {exc}") from exc
        token = done.stdout.strip().splitlines()[0].strip() if done.stdout.strip() else ""
        if done.returncode != 0 or not token:
            raise PermanentError(
                f"token command {command!r} exited {done.returncode} without a token: "
                f"{done.stderr.strip()[:200]}"
            )
        return token

    def _refresh(self) -> tuple[str, float]:
        settings = self.account.settings
        url, client_id = settings.get("oauth_token_url"), settings.get("oauth_client_id")
        refresh_token = secrets.get_secret(self.account.name, "refresh_token")
        if not (url and client_id and refresh_token):
            raise PermanentError(
                f"account {self.account.name!r} uses XOAUTH2 but has neither a token_command nor "
                "oauth_token_url, oauth_client_id and a stored refresh_token"
            )
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
        }
        client_secret = secrets.get_secret(self.account.name, "client_secret")
        if client_secret:
            form["client_secret"] = client_secret
        import httpx

        try:
            response = httpx.post(url, data=form, timeout=30)
        except httpx.HTTPError as exc:
            raise TemporaryError(f"cannot reach {url} to refresh the token: {exc}") from exc
        if response.status_code >= 500:
            raise TemporaryError(f"{url} answered {response.status_code} refreshing the token")
        data = response.json() if response.content else {}
        if response.status_code != 200 or "access_token" not in data:
            raise PermanentError(
                f"{url} refused the refresh token ({response.status_code}: "
                f"{data.get('error', '')} {data.get('error_description', '')})".strip()
            )
        return data["access_token"], float(data.get("expires_in", 3600))
