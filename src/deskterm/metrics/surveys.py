"""Satisfaction surveys by email, without a web server: the question a macro's reply carries
(`{{ survey.csat }}`, `{{ survey.ces }}`) and the recognition of the customer's answer.

The answer is a reply by mail: a number on its own first line, or a `mailto:` link that opens the
customer's mail program with the rating in the subject. A link-scanning bot that follows a link
sends no mail, so it cannot rate; and a rating counts only on a ticket that asked for it, from a
message that reached that ticket (a subject's ticket token threads only mail from the ticket's
own customer).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import quote

SCALES = {"csat": 5, "ces": 7}
NAMES = {"csat": "CSAT", "ces": "CES"}
# Also the mark that a message asked: recognition looks for the question in our replies.
QUESTIONS = {
    "csat": "How happy are you with the help you got, from 1 (not at all) to 5 (very)?",
    "ces": "How easy was it to get this sorted, from 1 (very hard) to 7 (very easy)?",
}
SUBJECT_RE = re.compile(r"\b(CSAT|CES)\s+([1-7])\b", re.IGNORECASE)
# A bare rating opens the reply: "5", "4/5", "3 - slow but fine", "5! thanks". A digit followed
# by a word ("1 more thing") is not one.
LINE_RE = re.compile(r"^\s*([1-7])\s*(?:/\s*[57])?\s*(?:$|[.!:,;)\-–]\s*(.*)$)")
QUOTE_RE = re.compile(r"^(>|On .+ wrote:$|-----Original Message-----)")
MAX_COMMENT = 500


@dataclass(frozen=True, slots=True)
class Answer:
    survey: str
    score: int
    comment: str


def question(survey: str, address: str, subject: str) -> str:
    """The survey's text for a reply: the question, and a mailto: link per rating when the account
    has an address (`subject` is the reply's subject, whose ticket token brings the answer back)."""
    lines = [QUESTIONS[survey], "Just reply with the number."]
    if address:
        lines.append("Or choose one; it opens your mail program, and you press send:")
        for score in range(1, SCALES[survey] + 1):
            rating = f"{subject} {NAMES[survey]} {score}"
            link = f"mailto:{address}?subject={quote(rating)}&body={quote(f'My rating: {score}')}"
            lines.append(f"{score}: {link}")
    return "\n".join(lines)


def asked(text: str) -> tuple[str, ...]:
    """The surveys a message of ours asked."""
    return tuple(survey for survey, words in QUESTIONS.items() if words in text)


def _own_lines(text: str) -> list[str]:
    """The lines the customer wrote, before any quoted part."""
    lines = []
    for line in text.splitlines():
        if QUOTE_RE.match(line.strip()):
            break
        lines.append(line.rstrip())
    return lines


def _comment(lines: list[str]) -> str:
    return " ".join(" ".join(line.split()) for line in lines if line.strip())[:MAX_COMMENT]


def read_answer(
    subject: str, text: str, asked_ever: Collection[str], asked_last: Collection[str]
) -> Answer | None:
    """The rating `subject` and `text` give, or None when the message is no answer.

    `asked_ever`: surveys any reply on the ticket asked (a link's subject names its survey);
    `asked_last`: those our latest reply asked (a bare number answers it, when it asked one).
    """
    own = _own_lines(text)
    match = SUBJECT_RE.search(subject)
    if match:
        survey, score = match[1].lower(), int(match[2])
        if survey in asked_ever and score <= SCALES[survey]:
            rest = [line for line in own if line.strip() != f"My rating: {score}"]
            return Answer(survey, score, _comment(rest))
    if len(asked_last) != 1:
        return None
    (survey,) = asked_last
    body = [line for line in own if line.strip()]
    found = LINE_RE.match(body[0]) if body else None
    if found is None or int(found[1]) > SCALES[survey]:
        return None
    comment = [found[2] or "", *body[1:]]
    if sum(len(line) for line in comment) > MAX_COMMENT:
        return None  # a long message that starts with a number is a message, not a rating
    return Answer(survey, int(found[1]), _comment(comment))
