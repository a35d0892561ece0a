"""Reading an action's parameters, which arrive as text from the CLI, macros and the TUI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deskterm.connector import PermanentError

CANCEL_REASONS = ("customer", "declined", "fraud", "inventory", "other", "staff")
REFUND_METHODS = ("original", "store_credit", "none")
TRUE = frozenset({"1", "true", "yes", "on", "y"})
FALSE = frozenset({"0", "false", "no", "off", "n", ""})


def flag(params: Mapping[str, Any], name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise PermanentError(f"{name} must be yes or no, not {value!r}")


def text(params: Mapping[str, Any], name: str, default: str = "") -> str:
    value = params.get(name)
    return default if value is None else str(value).strip()


def words(params: Mapping[str, Any], name: str) -> list[str]:
    """A list given as a list or as comma-separated text."""
    value = params.get(name) or []
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [item.strip() for item in items if item.strip()]


def required(params: Mapping[str, Any], name: str) -> str:
    value = text(params, name)
    if not value:
        raise PermanentError(f"{name} is required")
    return value


def lines(
    params: Mapping[str, Any], items: list[dict], *, strict: bool = True
) -> list[tuple[dict, int]]:
    """The order's items chosen by `items` ("2", "2:1", a line item id, ...) with quantities.

    An item is named by its position on the order (1 for the first), its id, or its SKU; without
    ":QUANTITY" all of what is still refundable of it. Unless `strict`, an item with nothing left
    to refund is left out instead of refused.
    """
    chosen = []
    for spec in words(params, "items"):
        key, _, count = spec.partition(":")
        match = None
        if key.isdigit() and 1 <= int(key) <= len(items):
            match = items[int(key) - 1]
        else:
            match = next((i for i in items if key in (i.get("id"), i.get("sku"))), None)
        if match is None:
            raise PermanentError(f"the order has no item {key!r}; give its position, id or SKU")
        try:
            quantity = int(count) if count else int(match.get("refundable", match["quantity"]))
        except ValueError:
            raise PermanentError(f"{spec!r}: the quantity must be a number") from None
        if quantity < 1 and strict:
            raise PermanentError(f"{spec!r}: nothing to refund of {match['title']!r}")
        if quantity >= 1:
            chosen.append((match, quantity))
    return chosen


def cancel_choices(params: Mapping[str, Any]) -> tuple[str, str]:
    """A cancellation's reason and where its money goes (refund=original|store_credit|none)."""
    reason = text(params, "reason", "customer").lower()
    method = text(params, "refund", "original").lower()
    if reason not in CANCEL_REASONS:
        raise PermanentError(f"reason must be one of {', '.join(CANCEL_REASONS)}")
    if method not in REFUND_METHODS:
        raise PermanentError(f"refund must be one of {', '.join(REFUND_METHODS)}")
    return reason, method
