"""Which Amazon message types an order offers, and the bodies deskterm builds for them."""

from __future__ import annotations

import pytest

from deskterm.connectors.amazon.messaging import MessageError, message_body, offers


def test_only_the_types_amazon_allows_for_the_order_are_offered() -> None:
    found = {o.name: o for o in offers(["unexpectedProblem", "confirmDeliveryDetails"])}
    assert [n for n, o in found.items() if o.available] == [
        "unexpectedProblem",
        "confirmDeliveryDetails",
    ]
    assert found["confirmOrderDetails"].reason == (
        "Amazon does not allow this message for the order now"
    )


def test_a_type_needing_a_file_is_not_offered_and_says_why() -> None:
    found = {o.name: o for o in offers(["invoice", "warranty"])}
    assert not found["invoice"].available
    assert "Uploads API" in found["invoice"].reason
    assert not found["warranty"].available


def test_an_allowed_type_deskterm_cannot_send_is_listed_with_the_reason() -> None:
    found = {o.name: o for o in offers(["negativeFeedbackRemoval", "attributes"])}
    assert "Seller Central" in found["negativeFeedbackRemoval"].reason
    assert "attributes" not in found


def test_a_message_body_carries_the_text() -> None:
    assert message_body("unexpectedProblem", {"text": " The parcel is delayed. "}) == {
        "text": "The parcel is delayed."
    }


@pytest.mark.parametrize(
    ("kind", "values", "error"),
    [
        ("unexpectedProblem", {"text": "  "}, "Message to the buyer is empty"),
        ("digitalAccessKey", {"text": "k" * 401}, "has 401 characters; Amazon takes at most 400"),
        ("unexpectedProblem", {"text": "hi", "subject": "x"}, "has no field subject"),
        ("invoice", {}, "needs a file upload"),
        ("shout", {"text": "hi"}, "not an Amazon message type"),
    ],
)
def test_a_message_that_does_not_fit_its_type_is_refused(kind, values, error) -> None:
    with pytest.raises(MessageError, match=error):
        message_body(kind, values)
