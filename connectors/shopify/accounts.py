"""`deskterm account add shopify NAME --shop x.myshopify.com`: the shop and how to sign in.

Declared as data for core's command line (deskterm.connector.Field); nothing here parses argv.
Apps made in Shopify's Dev Dashboard sign in with their client id and secret (tokens are minted
as they expire); older custom apps with an admin API token (shpat_...). Either goes to the
keyring.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from deskterm.connector import ConnectorError, Field, NewAccount, PermanentError

AUTH = ("client-credentials", "admin-token")
SECRETS = {"client-credentials": ("client_id", "client_secret"), "admin-token": ("admin_token",)}
SHOP = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
AGE = re.compile(r"(\d+)([dw])")

HELP = (
    "Add a Shopify shop: orders and customers as context for every ticket, and order actions"
    " (refund, cancel, address, tracking, note, tags, replacement). The app's client id and"
    " secret, or its admin API token, go to the system keyring."
)

FIELDS = (
    Field("shop", "The shop's myshopify.com address.", prompt="Shop (x.myshopify.com)"),
    Field(
        "auth",
        "client-credentials (Dev Dashboard apps) or admin-token (shpat_... of older apps).",
        default="client-credentials",
        choices=AUTH,
    ),
    Field(
        "since",
        "First sync: orders changed from this day (2026-10-01) or age (90d) on;"
        " default: every order the app may read.",
    ),
    Field("api-url", "Admin API address (default https://SHOP; for a proxy or a test server)."),
)


def first_since(setting: str | None, today: date) -> str | None:
    """The moment a first sync reaches back to: a day ("2026-10-01"), an age ("90d"), or all."""
    if not setting:
        return None
    age = AGE.fullmatch(setting.strip().lower())
    if age:
        days = int(age.group(1)) * (7 if age.group(2) == "w" else 1)
        return f"{(today - timedelta(days=days)).isoformat()}T00:00:00Z"
    try:
        return f"{date.fromisoformat(setting).isoformat()}T00:00:00Z"
    except ValueError:
        raise PermanentError(
            f"since {setting!r} is neither a date like 2026-10-01 nor an age like 90d or 12w"
        ) from None


def new_account(values: dict[str, Any], today: date) -> NewAccount:
    """Check the options of `account add shopify` and build the settings to store."""
    shop = values["shop"].strip().lower().removeprefix("https://").rstrip("/")
    if not SHOP.fullmatch(shop):
        raise ConnectorError(f"--shop must be the shop's x.myshopify.com address, not {shop!r}")
    since = values["since"]
    if since:
        first_since(since, today)
    auth = values["auth"]
    settings = {
        "shop": shop,
        "auth": auth.replace("-", "_"),
        "since": since,
        "api_url": values["api_url"],
    }
    reach = f"orders changed since {since}" if since else "every order the app may read"
    return NewAccount(
        address=shop,
        settings={k: v for k, v in settings.items() if v},
        keyed_secrets=SECRETS[auth],
        notes=(f"the first sync pulls {reach} (without read_all_orders Shopify shows 60 days)",),
    )
