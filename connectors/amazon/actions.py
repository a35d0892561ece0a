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

from deskterm.connector import ActionOutcome, ConnectorAction, Field, PermanentError

from .client import SpApi
from .messaging import MESSAGE_TYPES, MessageError, MessageType, message_body, offers
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

        return ConnectorAction(
            kind.name,
            f"Amazon message: {kind.label}",
            run=run,
            preview=preview,
            fields=tuple(
                Field(f.name, f"{f.label} (at most {f.max_length} characters)", prompt=f.label)
                for f in kind.fields
            ),
        )

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

    def unavailable(self, params: Mapping[str, Any]) -> dict[str, str]:
        """Why each action cannot run for the order now: Amazon's own lists decide."""
        order = _order(params)
        refused = {o.name: o.reason for o in offers(self.api().messaging_actions(order))}
        reasons = {name: refused[name] for name in MESSAGE_TYPES if refused.get(name)}
        if not self.api().review_allowed(order):
            reasons[REVIEW] = self._why_no_review(order)
        return reasons

    # -- review requests -------------------------------------------------------------------------

    def _why_no_review(self, order: str) -> str:
        return why_not(snapshot(self.api().account, self.api().get_order(order)), self.clock())

    def _review_refusal(self, order: str) -> PermanentError:
        return PermanentError(f"no review request for order {order}: {self._why_no_review(order)}")

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
