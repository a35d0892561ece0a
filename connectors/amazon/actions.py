"""The connector actions of an Amazon account: one per buyer message type, and request-review.

deskterm.connector_calls runs them (intent, call, outcome, each in the ticket's timeline). Amazon
takes no idempotency key, so a message whose answer was lost is never sent again automatically:
it waits for a person who checks Seller Central. A review request can be checked: Amazon offers
it once per order, so when it is no longer offered after a lost answer, it went through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from deskterm.connector import ActionOutcome, ConnectorAction, PermanentError

from .client import SpApi
from .messaging import MESSAGE_TYPES, MessageError, MessageType, message_body
from .orders import snapshot
from .reviews import why_not

REVIEW = "request-review"


def _order(params: Mapping[str, Any]) -> str:
    order = str(params.get("order") or "").strip().lstrip("#")
    if not order:
        raise PermanentError("an Amazon action needs the order id (the ticket has no order)")
    return order


class AmazonActions:
    """Builds the account's actions over one SP-API client (made when first needed)."""

    def __init__(self, api: Callable[[], SpApi], clock: Callable[[], datetime]) -> None:
        self.api = api
        self.clock = clock

    def all(self) -> list[ConnectorAction]:
        found = [self._message(kind) for kind in MESSAGE_TYPES.values() if not kind.needs_upload]
        found.append(
            ConnectorAction(
                REVIEW,
                "Ask Amazon to request a product review and seller feedback from the buyer",
                run=self._request_review,
                preview=self._preview_review,
                confirm=self._confirm_review,
            )
        )
        return found

    # -- buyer messages --------------------------------------------------------------------------

    def _message(self, kind: MessageType) -> ConnectorAction:
        def run(params: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
            order, body = self._checked(kind, params)
            self.api().send_message(order, kind.name, body)
            return ActionOutcome(
                f"{kind.label}: message sent to the buyer of order {order}",
                data={"order": order, "type": kind.name, **body},
            )

        def preview(params: Mapping[str, Any]) -> str:
            order, body = self._checked(kind, params)
            return f"{kind.label}, to the buyer of Amazon order {order}:\n\n{body.get('text', '')}"

        return ConnectorAction(kind.name, f"Amazon message: {kind.label}", run=run, preview=preview)

    def _checked(self, kind: MessageType, params: Mapping[str, Any]) -> tuple[str, dict]:
        """The order and body of a message Amazon allows for the order right now."""
        order = _order(params)
        try:
            body = message_body(kind.name, {k: v for k, v in params.items() if k != "order"})
        except MessageError as exc:
            raise PermanentError(str(exc)) from None
        if kind.name not in self.api().messaging_actions(order):
            raise PermanentError(f"Amazon does not allow {kind.label!r} for order {order} now")
        return order, body

    # -- review requests -------------------------------------------------------------------------

    def _review_refusal(self, order: str) -> PermanentError:
        found = snapshot(self.api().account, self.api().get_order(order))
        return PermanentError(
            f"no review request for order {order}: {why_not(found, self.clock())}"
        )

    def _request_review(self, params: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        order = _order(params)
        if not self.api().review_allowed(order):
            raise self._review_refusal(order)
        self.api().request_review(order)
        return ActionOutcome(
            f"review requested from the buyer of order {order}", data={"order": order}
        )

    def _preview_review(self, params: Mapping[str, Any]) -> str:
        order = _order(params)
        if not self.api().review_allowed(order):
            raise self._review_refusal(order)
        return (
            f"Amazon will send the buyer of order {order} its standard request for a product "
            "review and seller feedback (once per order)"
        )

    def _confirm_review(
        self, params: Mapping[str, Any], *, idempotency_key: str
    ) -> ActionOutcome | None:
        order = _order(params)
        if self.api().review_allowed(order):
            return None  # still offered: the lost request did not go through
        return ActionOutcome(
            f"review requested from the buyer of order {order} (Amazon no longer offers it)",
            data={"order": order},
        )
