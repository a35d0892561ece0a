"""`deskterm account add ebay`: the options, and the consent a person gives in a browser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from deskterm import secrets
from deskterm.connector import Account, ConnectorError, Field, NewAccount, PermanentError
from deskterm.sync import http

from . import oauth
from .api import reach

HELP = (
    "Add an eBay seller account: buyer messages and orders. Needs an eBay developer app "
    "(App ID, client secret, RuName); you then agree in a browser, once."
)
FIELDS = (
    Field("client-id", "The app's App ID (client id).", prompt="eBay App ID (client id)"),
    Field("ru-name", "The app's RuName (eBay's name for its redirect URL).", prompt="eBay RuName"),
    Field("seller", "Your eBay user name, the seller's.", prompt="Your eBay user name"),
    Field("mark-seen", "Mark conversations read on eBay once opened here.", False, bool),
    Field("since", "First sync: from this day (2026-10-01) or age (90d); 'all': 2 years.", "30d"),
    Field("api-url", "eBay's API (sandbox: https://api.sandbox.ebay.com).", oauth.API_URL),
    Field("auth-url", "eBay's consent page.", oauth.AUTH_URL),
)


def new_account(values: dict[str, Any], today: date) -> NewAccount:
    """The settings of a new eBay account; the client secret is asked for next."""
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    if values["since"] != "all":
        reach(values["since"], start)  # refuses what it cannot read
    for key in ("api_url", "auth_url"):
        if not values[key].startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConnectorError(f"--{key.replace('_', '-')} must be an https:// address")
    settings = {key: values[key] for key in ("client_id", "ru_name", "seller", "since")}
    settings |= {"mark_seen": values["mark_seen"]}
    settings |= {k: values[k] for k in ("api_url", "auth_url") if values[k] != FIELD_DEFAULTS[k]}
    return NewAccount(address=values["seller"], settings=settings, secret="client secret")


FIELD_DEFAULTS = {f.key: f.default for f in FIELDS}

PASTE = "Paste the address your browser ended on (or just the code)"


def give(account: Account, ask: Callable[[str], str], say: Callable[[str], None]) -> str:
    """Show the consent link, read back the redirected address, keep the refresh token.

    Returns where the token was stored. The client secret must be stored already.
    """
    app = oauth.App.of(account)
    url, state = oauth.consent_url(app)
    say("Open this address, sign in to eBay as the seller and agree to let deskterm in:")
    say(url)
    try:
        code = oauth.code_from(ask(PASTE), state)
    except ValueError as exc:
        raise PermanentError(str(exc)) from None
    with http.make_client("ebay", base_url=app.api_url) as client:
        token = oauth.exchange_code(client, app, code, account.name)
    try:
        return secrets.set_secret(account.name, token, oauth.REFRESH_TOKEN)
    except secrets.SecretError as exc:
        raise PermanentError(str(exc)) from None
