"""`deskterm account add ebay`: the options, and the consent a person gives in a browser."""

from __future__ import annotations

from collections.abc import Callable

from deskterm import secrets
from deskterm.connector import Account, PermanentError
from deskterm.sync import http

from . import oauth

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
