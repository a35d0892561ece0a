"""A held reply's reason, worded for whoever reads it (deskterm.store.held_replies.held_for)."""

from __future__ import annotations

import pytest

from deskterm.store.held_replies import held_for

NOTE = "anna added a note after you started your reply"
CUSTOMER = "the customer wrote again after you started your reply"


@pytest.mark.parametrize(
    ("reason", "writer", "reader", "reads"),
    [
        (NOTE, "ben", "ben", NOTE),  # the writer: the server's words
        (NOTE, "ben", "anna", "you added a note after ben started this reply"),
        (NOTE, "ben", "cleo", "anna added a note after ben started this reply"),
        (CUSTOMER, "ben", "anna", "the customer wrote again after ben started this reply"),
        (NOTE, None, "anna", NOTE),  # nobody's reply (a rule's): as the server said it
        (NOTE, "ben", None, NOTE),  # a replica that names no agent
        ("some reason from a newer server", "ben", "anna", "some reason from a newer server"),
    ],
)
def test_a_held_reason_reads_for_its_reader(
    reason: str, writer: str | None, reader: str | None, reads: str
) -> None:
    assert held_for(reason, writer, reader) == reads
