"""One change to many tickets: each ticket its own action, all of them one batch to undo.

A ticket that refuses (solved already, merged away, a macro's missing placeholder) is skipped
with its reason and the others go on; the summary says which and why.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from deskterm.actions.common import ActionError, batch
from deskterm.actions.fields import tag, untag
from deskterm.store import Store

# How many skipped tickets a summary names; the rest are counted.
NAMED_SKIPS = 3

Change = Callable[[Store, int], object]
Progress = Callable[[int, int], None]
"""Told (tickets done so far, of how many) after each ticket."""


@dataclass(slots=True)
class BulkResult:
    """What a bulk change did: its batch (what undo takes back), and the tickets changed or not."""

    batch: str
    changed: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def summary(self, verb: str, what: str = "") -> str:
        """'Resolved 37 tickets; 2 skipped: ticket #12 was merged into #9; #14: …'; `what`
        follows the count ('Tagged 3 tickets with wismo')."""
        count = len(self.changed)
        line = f"{verb} {count} ticket{'' if count == 1 else 's'}{what}"
        if self.skipped:
            named = "; ".join(
                why if f"#{t}" in why else f"#{t}: {why}" for t, why in self.skipped[:NAMED_SKIPS]
            )
            more = len(self.skipped) - NAMED_SKIPS
            line += f"; {len(self.skipped)} skipped: {named}" + (
                f"; {more} more" if more > 0 else ""
            )
        return line


def new_batch() -> str:
    return f"bulk-{uuid.uuid4().hex[:12]}"


def run(
    store: Store,
    ticket_ids: Sequence[int],
    change: Change,
    *,
    refusals: tuple[type[Exception], ...] = (ActionError,),
    progress: Progress | None = None,
    batch_id: str | None = None,
) -> BulkResult:
    """Apply `change` to each ticket in turn, one transaction each, as one batch.

    A `refusals` exception skips its ticket; anything else stops the run (what was done stays
    done, and is still one batch to undo).
    """
    result = BulkResult(batch_id or new_batch())
    with batch(result.batch):
        for number, ticket_id in enumerate(ticket_ids, start=1):
            try:
                change(store, ticket_id)
            except refusals as exc:
                result.skipped.append((ticket_id, str(exc)))
            else:
                result.changed.append(ticket_id)
            if progress is not None:
                progress(number, len(ticket_ids))
    return result


def change_tags(
    store: Store, ticket_id: int, *, words: Sequence[str], actor: str, at: datetime | None = None
) -> None:
    """Add each tag of `words` ('-tag' removes one) to one ticket, all of them or none."""
    with store.tx():
        for word in words:
            if word.startswith("-"):
                untag(store, ticket_id, word[1:], actor=actor, at=at)
            else:
                tag(store, ticket_id, word, actor=actor, at=at)
