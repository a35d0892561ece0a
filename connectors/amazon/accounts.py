"""`deskterm account add amazon NAME`: a seller account's region, marketplace and LWA credentials.

Declared as data for core's command line (deskterm.connector.Field); nothing here parses argv.
The client id, client secret and refresh token of the seller's SP-API app go to the keyring.
"""

from __future__ import annotations

from typing import Any

from deskterm.connector import ConnectorError, Field, NewAccount

from .regions import ENDPOINTS, MARKETPLACES, check_marketplace

# A new account's first sync reaches this far back; older orders rarely come up in support.
FIRST_SYNC_DAYS = 30
SECRETS = ("client_id", "client_secret", "refresh_token")

HELP = (
    "Add an Amazon seller account (SP-API): orders for relay-mail tickets, buyer messages and"
    " review requests. The app's LWA client id, client secret and refresh token go to the"
    " system keyring."
)

FIELDS = (
    Field("region", "SP-API region: na, eu or fe.", prompt="Region", choices=tuple(ENDPOINTS)),
    Field("marketplace", "Marketplace id, e.g. A1F83G8C2ARO7P (UK).", prompt="Marketplace id"),
    Field(
        "since-days",
        "First sync: orders changed in this many past days.",
        default=FIRST_SYNC_DAYS,
        type=int,
    ),
    Field(
        "review-after-days",
        "Ask Amazon for a review this many days after delivery, at each sync (0: never).",
        default=0,
        type=int,
    ),
    Field("endpoint", "SP-API address (default: the region's; for a sandbox or test server)."),
    Field("token-url", "LWA token address (default: Amazon's)."),
)


def new_account(values: dict[str, Any]) -> NewAccount:
    """Check the options of `account add amazon` and build the settings to store."""
    region, marketplace = values["region"], values["marketplace"].strip()
    problem = check_marketplace(region, marketplace)
    if problem:
        raise ConnectorError(problem)
    if values["since_days"] < 1:
        raise ConnectorError("--since-days must be at least 1")
    if not 0 <= values["review_after_days"] <= 30:
        raise ConnectorError(
            "--review-after-days must be 0 (never) to 30: Amazon's window ends then"
        )
    settings = {
        "region": region,
        "marketplace": marketplace,
        "since_days": values["since_days"],
        "review_after_days": values["review_after_days"] or None,
        "endpoint": values["endpoint"],
        "token_url": values["token_url"],
    }
    return NewAccount(
        address=MARKETPLACES[marketplace].domain,
        settings={k: v for k, v in settings.items() if v is not None},
        keyed_secrets=SECRETS,
        notes=(
            f"the first sync pulls orders changed in the last {values['since_days']} days",
            f"review requests go out {values['review_after_days']} days after delivery"
            if values["review_after_days"]
            else "review requests only when you ask (--review-after-days N: automatically)",
        ),
    )
