"""The customer's own words in a message: quoted replies and signatures cut, accents folded."""

from __future__ import annotations

import re
import unicodedata

# Where a quoted earlier message or a forwarded header block starts, in the languages triage
# reads: "On Mon, Anna wrote:", "Am ... schrieb ...:", "Le ... a écrit :", "El ... escribió:",
# "Il ... ha scritto:", "Op ... schreef ...:", "Em ... escreveu:", Outlook's "From:" blocks.
_QUOTE_START = re.compile(
    r"^(>|-{2,} ?(original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht)|(on|am|le|el|il|op|em) .{4,120}"
    r"(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu) ?:"
    r"|(from|von|de|da|van):\s.+@)",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_REPLY = re.compile(r"^\s*(re|aw|sv|r|rif|antw|res|odp)\s*:", re.IGNORECASE)

# Enough for the words that tell language, intent and mood (intent reads the first 300 of
# them): a long mail costs no more than a short one.
MAX_CHARS = 600


def own_words(subject: str, text: str) -> str:
    """The subject and the part of the body the customer wrote this time."""
    body = text or ""
    for pattern in (_QUOTE_START, _SIGNATURE):
        found = pattern.search(body)
        if found:
            body = body[: found.start()]
    # A reply's subject names the old topic ("Re: Where is my order"), not what is asked now.
    if _REPLY.match(subject or ""):
        subject = ""
    return f"{subject}\n{body.strip()}"[:MAX_CHARS].strip()


def folded(text: str) -> str:
    """Lower case without accents, so `rückerstattung` and `ruckerstattung` read the same."""
    lowered = text.lower().replace("ß", "ss")
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
