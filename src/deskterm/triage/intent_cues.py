"""The cue phrases of each intent, per language (cues_germanic, cues_romance), as regular
expressions over folded text (lower case, no accents: `rückerstattung` is `ruckerstattung`).

Weights: 3 for a phrase that alone says the intent, 2 for a telling word, 1 for a hint. What a
customer says they already did ("I sent it back") is context, not a request, and is left out.
"""

from __future__ import annotations

from deskterm.triage.cues_germanic import DE, EN, NL, Cues
from deskterm.triage.cues_romance import ES, FR, IT, PT

# Shop words customers use in any language.
SHARED: Cues = {
    "wismo": ((2, r"\btracking\w*|\btrack ?(&|and|en) ?trace\b"),),
    "discount": ((3, r"\b(promo|discount|coupon|voucher) ?codes?\b|\bblack friday\b"),),
}

BY_LANGUAGE: dict[str, Cues] = {
    "en": EN,
    "de": DE,
    "fr": FR,
    "es": ES,
    "it": IT,
    "nl": NL,
    "pt": PT,
}
