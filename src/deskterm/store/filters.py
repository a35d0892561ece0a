"""The search language of the queue, in the spirit of notmuch and Zendesk, compiled to SQL.

``status:open channel:ebay tag:wismo from:anna is:breached older:2h refund`` — terms are ANDed;
``lang:de``, ``intent:refund`` and ``mood:angry`` read what offline triage made of the customer's
messages (deskterm.triage: the ticket's language, what it is about, their latest mood);
``-term`` negates; commas mean OR within a term, for every key (``status:new,open``,
``tag:wismo,damaged``, ``is:breached,warning``): repeat a key to need both (``tag:a tag:b``). Keys
and the values of status, priority and channel ignore case; ``order:1042`` and ``order:#1042`` are
one order. Bare words search the message text through FTS5, all of them unless joined by ``OR``.
Parsing is pure; `Filter.where(now)` gives a WHERE clause and parameters.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from datetime import datetime

from deskterm.domain import Priority, Status, to_iso
from deskterm.durations import DurationError, parse_duration
from deskterm.store.fulltext import fts_query
from deskterm.triage.labels import INTENTS, MOODS

KEYS = (
    "status",
    "channel",
    "account",
    "tag",
    "from",
    "assignee",
    "priority",
    "is",
    "older",
    "newer",
    "idle",
    "id",
    "order",
    "lang",
    "intent",
    "mood",
)
# Keys whose values are lowercase words in the store, so `channel:Ebay` means channel:ebay.
CASELESS = ("status", "channel", "priority", "is", "lang", "intent", "mood")
# Triage's columns on the ticket, by search key, and the values each may take (None: any code).
TRIAGED: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "lang": ("COALESCE(t.lang, '')", None),
    "intent": ("COALESCE(t.intent, '')", tuple(INTENTS)),
    "mood": ("COALESCE(t.mood, '')", tuple(MOODS)),
}
FLAGS = (
    "breached",
    "warning",
    "escalated",
    "unassigned",
    "assigned",
    "mine",
    "snoozed",
    "active",
    "merged",
)


# Literal, not bound: the planner can then match the partial index tickets_queue, whose WHERE
# clause is exactly this.
ACTIVE_SQL = "t.status NOT IN ('solved', 'closed')"


class FilterError(ValueError):
    """The query has a term deskterm does not understand; the message names it."""


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Filter:
    terms: tuple[Term, ...] = ()
    text: tuple[str, ...] = field(default=())
    me: str | None = None
    active_only: bool = True

    @property
    def names_status(self) -> bool:
        return any(t.key == "status" for t in self.terms) or any(
            t.key == "is" and {"active", "snoozed"} & set(t.values) for t in self.terms
        )

    def hiding_snoozed(self) -> Filter | None:
        """The tickets this filter leaves out only for being snoozed, as the queue's views do;
        None when it lists snoozed tickets like any other (it names a status or is:snoozed)."""
        if not self.active_only or self.names_status:
            return None
        snoozed = (Term("is", ("active",)), Term("is", ("snoozed",)))
        return replace(self, terms=(*self.terms, *snoozed))

    def where(self, now: datetime, *, paged: bool = True) -> tuple[str, list]:
        """SQL over `tickets AS t` for this filter at moment `now`; `paged=False` for a count,
        which has no order to keep."""
        clauses: list[str] = ["t.merged_into IS NULL"]
        params: list = []
        if self.active_only and not self.names_status:
            clauses.append(ACTIVE_SQL)
            clauses.append("(t.snoozed_until IS NULL OR t.snoozed_until <= ?)")
            params.append(to_iso(now))
        for term in self.terms:
            sql, args = _term_sql(term, now, self.me)
            clauses.append(f"NOT ({sql})" if term.negated else sql)
            params.extend(args)
        if self.text:
            clauses.append(self._text_sql(paged))
            params.append(fts_query(self.text))
        return " AND ".join(clauses), params

    def _text_sql(self, paged: bool) -> str:
        """The clause for the text words, shaped by what else narrows the tickets down."""
        sender = any(t.key == "from" and not t.negated for t in self.terms)
        if sender or (paged and self.active_only and not self.names_status):
            # Each ticket's messages (the covering index messages_ticket) are looked up among the
            # matching rowids, read from the full-text index alone. For a sender's few tickets;
            # and for a page of the queue (active tickets, no status named), which walks the
            # queue's index in order and stops at a page. Collecting every match's ticket instead
            # reads each matching message's row: `from:customer12 refund` at 100,000 messages
            # 250 -> ~40 ms, a queue page of `refund lamp` 30 -> 15 ms.
            return (
                "EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND"
                " +m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?))"
            )
        # A count, or a list of every match: walking tickets in an index's order reads their rows
        # in no order (a count of `refund lamp` 46 -> 245 ms); the matches' tickets, collected
        # and sorted by id, are read in the table's order.
        return (
            "t.id IN (SELECT m.ticket_id FROM messages_fts f"
            " JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?)"
        )

    def __str__(self) -> str:
        parts = [("-" if t.negated else "") + f"{t.key}:{','.join(t.values)}" for t in self.terms]
        return " ".join(parts + list(self.text))


def _in(column: str, values: tuple[str, ...]) -> tuple[str, list]:
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def _term_sql(term: Term, now: datetime, me: str | None) -> tuple[str, list]:
    key, values = term.key, term.values
    if key in ("status", "priority"):
        return _known_sql(key, values)
    if key in ("channel", "account"):
        return _in(f"t.{key}", values)
    if key in TRIAGED:
        return _triaged_sql(key, values)
    if key in ("older", "newer", "idle"):
        return _age_sql(key, values[0], now)
    if key == "assignee":
        return _assignee_sql(values, me)
    if key == "is":
        return _flags_sql(values, now, me)
    by_values = {"tag": _tag_sql, "from": _from_sql, "id": _id_sql, "order": _order_sql}.get(key)
    if by_values is None:
        raise FilterError(f"{key}: is not a search key; keys are {', '.join(KEYS)}")
    return by_values(values)


_KNOWN: dict[str, type[Status] | type[Priority]] = {"status": Status, "priority": Priority}


def _known_sql(key: str, values: tuple[str, ...]) -> tuple[str, list]:
    """status: and priority:, whose values are the enum's."""
    known = [member.value for member in _KNOWN[key]]
    for value in values:
        if value not in known:
            raise FilterError(f"{key}:{value} is unknown; one of {', '.join(known)}")
    return _in(f"t.{key}", values)


def _age_sql(key: str, value: str, now: datetime) -> tuple[str, list]:
    """older: and newer: (since the ticket opened), idle: (since its last message)."""
    try:
        cutoff = to_iso(now - parse_duration(value))
    except DurationError as exc:
        raise FilterError(f"{key}: {exc}") from None
    column = "t.last_message_at" if key == "idle" else "t.created_at"
    return (f"{column} >= ?" if key == "newer" else f"{column} < ?"), [cutoff]


def _triaged_sql(key: str, values: tuple[str, ...]) -> tuple[str, list]:
    """lang:, intent: and mood:, what triage read (deskterm.triage); intents and moods are known."""
    column, known = TRIAGED[key]
    for value in values:
        if known is not None and value not in known:
            raise FilterError(f"{key}:{value} is unknown; one of {', '.join(known)}")
    return _in(column, values)


def _assignee_sql(values: tuple[str, ...], me: str | None) -> tuple[str, list]:
    names = [me if v == "me" and me else v for v in values if v != "none"]
    parts = []
    if "none" in values:
        parts.append("t.assignee IS NULL")
    if names:
        sql, args = _in("t.assignee", tuple(names))
        parts.append(sql)
        return "(" + " OR ".join(parts) + ")", args
    return "(" + " OR ".join(parts) + ")", []


def _tag_sql(values: tuple[str, ...]) -> tuple[str, list]:
    # Drives from the index ticket_tags_tag, not a probe per ticket.
    tags, args = _in("g.tag", tuple(v.lower() for v in values))
    return f"t.id IN (SELECT g.ticket_id FROM ticket_tags g WHERE {tags})", args


def _from_sql(values: tuple[str, ...]) -> tuple[str, list]:
    for value in values:
        if not re.search(r"\w", value):
            raise FilterError(f"from:{value} needs a name, an address or a user name")
    # Word prefixes through the full-text indexes of names and identities (schema V11).
    match = " OR ".join(fts_query((value,)) for value in values)
    return (
        "t.customer_id IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?"
        " UNION SELECT i.customer_id FROM identities_fts f JOIN identities i ON i.id = f.rowid"
        " WHERE identities_fts MATCH ?)"
    ), [match, match]


def _id_sql(values: tuple[str, ...]) -> tuple[str, list]:
    try:
        return _in("t.id", tuple(str(int(v.lstrip("#"))) for v in values))
    except ValueError:
        raise FilterError(f"id:{','.join(values)} must be ticket numbers") from None


def _order_sql(values: tuple[str, ...]) -> tuple[str, list]:
    # Shops write #1042, people type 1042: both spellings of each number are looked up.
    numbers = tuple(n for v in values for n in (v.lstrip("#"), "#" + v.lstrip("#")))
    sql, args = _in("o.number", numbers)
    return f"t.order_id IN (SELECT o.id FROM orders o WHERE {sql})", args


def _flags_sql(values: tuple[str, ...], now: datetime, me: str | None) -> tuple[str, list]:
    """is:a,b: tickets with any of the flags."""
    ors, args = [], []
    for flag in values:
        sql, flag_args = _flag_sql(flag, now, me)
        ors.append(sql)
        args += flag_args
    return "(" + " OR ".join(ors) + ")", args


def _flag_sql(flag: str, now: datetime, me: str | None) -> tuple[str, list]:
    match flag:
        case "breached" | "warning":
            return "t.sla_state = ?", [flag]
        case "escalated":
            return "t.escalation > 0", []
        case "unassigned":
            return "t.assignee IS NULL", []
        case "assigned":
            return "t.assignee IS NOT NULL", []
        case "mine":
            if not me:
                raise FilterError("is:mine needs an agent name (set [agent] name in the config)")
            return "t.assignee = ?", [me]
        case "snoozed":
            return "t.snoozed_until > ?", [to_iso(now)]
        case "active":
            return ACTIVE_SQL, []
        case "merged":
            return "t.merged_into IS NOT NULL", []
    raise FilterError(f"is:{flag} is unknown; one of {', '.join(FLAGS)}")


def parse(query: str, *, me: str | None = None, active_only: bool = True) -> Filter:
    """Parse the search language; raises FilterError naming the first term it cannot read.

    With `active_only` (the queue), a query that names no status sees only unsolved, awake tickets.
    """
    try:
        words = shlex.split(query)
    except ValueError as exc:
        raise FilterError(f"cannot read the query: {exc}") from None
    terms: list[Term] = []
    text: list[str] = []
    for word in words:
        negated = word.startswith("-") and ":" in word
        body = word[1:] if negated else word
        key, sep, value = body.partition(":")
        if not sep or key.lower() not in KEYS:
            if sep and re.fullmatch(r"[a-z]+", key.lower()):
                raise FilterError(f"{key}: is not a search key; keys are {', '.join(KEYS)}")
            text.append(word)
            continue
        values = tuple(v.strip() for v in value.split(",") if v.strip())
        if key.lower() in CASELESS:
            values = tuple(v.lower() for v in values)
        if not values:
            raise FilterError(f"{key}: needs a value, like {key}:something")
        terms.append(Term(key.lower(), values, negated))
    parsed = Filter(tuple(terms), tuple(text), me, active_only)
    # Validate every term now, so the person typing sees the mistake before any query runs.
    parsed.where(datetime.fromisoformat("2000-01-01T00:00:00+00:00"))
    return parsed
