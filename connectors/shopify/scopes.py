"""Which access scopes each feature needs, and what a shop's app still lacks."""

from __future__ import annotations

from collections.abc import Iterator

TRACKING = (
    "write_merchant_managed_fulfillment_orders",
    "write_assigned_fulfillment_orders",
    "write_third_party_fulfillment_orders",
    "write_fulfillments",
)

# Each feature needs every group; a group is met by any one of its scopes.
FEATURES: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("order context", (("read_orders",), ("read_customers",))),
    ("orders older than 60 days", (("read_all_orders",),)),
    ("refund, cancel, address, note and tags", (("write_orders",),)),
    ("tracking", (TRACKING,)),
    ("replacement orders", (("write_draft_orders",),)),
)


def missing(granted: set[str], feature: str) -> list[str]:
    """The scope groups `feature` lacks, each as 'a or b'."""
    needs = dict(FEATURES)[feature]
    # A write scope implies its read scope on Shopify.
    have = granted | {s.replace("write_", "read_", 1) for s in granted}
    return [" or ".join(group) for group in needs if not have.intersection(group)]


def report(granted: set[str]) -> Iterator[str]:
    """One line per feature: ready, or the scopes to add."""
    for feature, _ in FEATURES:
        lacking = missing(granted, feature)
        if not lacking:
            yield f"{feature}: ready"
        elif feature == "orders older than 60 days":
            yield f"{feature}: missing {lacking[0]}, so only the last 60 days of orders are visible"
        else:
            yield f"{feature}: missing {', '.join(lacking)}"
