"""The queue's subject column shows the customer's words, not the channel's boilerplate."""

from __future__ import annotations

import pytest

from deskterm.tui.widgets.queue_view import queue_subject


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        ("New customer message on shop.example: Wrong size - exchange?", "Wrong size - exchange?"),
        (
            "Inquiry from Amazon customer Emil (Order: 671-0001012-1234567)",
            "Amazon order 671-0001012-1234567",
        ),
        ("Inquiry from Amazon customer Jo (Order: 1-2-3) Broken lid", "Broken lid"),
        ("New customer message on shop.example", "New customer message on shop.example"),
        ("Where is my order #1001?", "Where is my order #1001?"),
    ],
)
def test_channel_boilerplate_is_stripped_for_the_queue(subject: str, shown: str) -> None:
    assert queue_subject(subject) == shown
