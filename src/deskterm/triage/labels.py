"""The names triage gives: intents and moods, as search, rules and the queue spell them."""

from __future__ import annotations

# What the customer wants, most specific first: on a tie between two intents the earlier wins.
INTENTS: dict[str, str] = {
    "cancel": "cancel an order",
    "address": "change the delivery address",
    "damaged": "arrived damaged, broken or defective",
    "exchange": "swap for another size, colour or model",
    "return": "send something back",
    "refund": "money back, or where the refund is",
    "wismo": "where is my order: not arrived, tracking, late",
    "stock": "availability, restocks, sold out",
    "discount": "discount and promo codes, sales, vouchers",
    "product": "a question about a product before or after buying",
    "complaint": "wrong or missing item, poor quality or service",
    "thanks": "thanks, or the problem is solved",
    "other": "none of the above",
}

# How the customer sounds in their latest message; `unknown` for a language triage has no words for.
MOODS: dict[str, str] = {
    "angry": "furious: threats, insults, shouting, strong negative words",
    "negative": "unhappy, disappointed, worried",
    "neutral": "a plain request or question",
    "positive": "pleased or thankful",
    "unknown": "a language triage cannot read for mood",
}

# An intent that says little about the ticket: it never replaces a stronger one the ticket has.
WEAK_INTENTS = ("other", "thanks")

UNDETERMINED = "und"
"""The language code of text too short or too mixed to tell (ISO 639-2's code for it)."""
