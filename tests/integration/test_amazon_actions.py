"""Buyer messages and review requests as connector actions, against the fake SP-API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import connector_calls, connector_offers, ingest
from deskterm.cli.main import app
from deskterm.connectors.amazon.client import SpApi
from deskterm.connectors.email.parse import ParseOptions, parse_message
from deskterm.domain import Batch, utcnow
from deskterm.store.attachments import AttachmentStore
from deskterm.sync import engine

pytestmark = pytest.mark.integration

RELAY = "8fjw7d2kx@marketplace.amazon.co.uk"
ORDER = "202-1234567-7654321"
MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail" / "amazon.eml"
AGENT = "agent:anna"
TEXT = "Your parcel was damaged at our warehouse; a replacement leaves today."


@pytest.fixture
def ticket(amazon_api, amazon_account, store, now, tmp_path) -> int:
    """The relay-mail ticket about ORDER, with the order synced from the fake."""
    options = ParseOptions(
        account="shop-mail",
        own_addresses=frozenset({"support@shop.example"}),
        attachments=AttachmentStore(tmp_path / "attachments"),
    )
    ingest.ingest_batch(
        store, "shop-mail", Batch([parse_message(MAIL.read_bytes(), options)], {}), now=now
    )
    engine.sync_account(store, amazon_account, now=now)
    return store.conn.execute("SELECT id FROM tickets").fetchone()[0]


def _kinds(store, ticket: int) -> list[str]:
    rows = store.conn.execute(
        "SELECT kind FROM events WHERE ticket_id = ? AND kind LIKE 'connector_%' ORDER BY id",
        (ticket,),
    )
    return [row[0] for row in rows]


def test_an_allowed_message_is_sent_with_its_outcome_in_the_timeline(
    amazon_api, amazon_account, store, ticket, now
) -> None:
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=now)
    params = {"order": ORDER, "text": TEXT}
    assert connector_calls.preview(store, ticket, "amazon.unexpectedProblem", params) == (
        f"Unexpected problem with the order, to the buyer of Amazon order {ORDER}:\n\n{TEXT}"
    )
    call = connector_calls.run(
        store, ticket, "amazon.unexpectedProblem", params, confirmed_by=AGENT
    )
    assert (call.status, call.outcome) == (
        "done",
        f"Unexpected problem with the order: message sent to the buyer of order {ORDER}",
    )
    assert amazon_api.sent == [(ORDER, "unexpectedProblem", {"text": TEXT})]
    assert _kinds(store, ticket) == ["connector_started", "connector_done"]


def test_a_type_amazon_does_not_allow_for_the_order_is_refused_unsent(
    amazon_api, amazon_account, store, ticket, now
) -> None:
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=now, actions=["unexpectedProblem"])
    call = connector_calls.run(
        store,
        ticket,
        "amazon.confirmDeliveryDetails",
        {"order": ORDER, "text": "Is the gate code still 1234?"},
        confirmed_by=AGENT,
    )
    assert call.status == "failed"
    assert call.outcome == f"Amazon does not allow 'Confirm delivery details' for order {ORDER} now"
    assert amazon_api.sent == []


def test_a_message_whose_answer_was_lost_is_sent_once_and_left_for_a_person(
    amazon_api, amazon_account, store, ticket, now
) -> None:
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=now)
    amazon_api.drop_after_accept.add("createUnexpectedProblem")
    call = connector_calls.run(
        store,
        ticket,
        "amazon.unexpectedProblem",
        {"order": ORDER, "text": TEXT},
        confirmed_by=AGENT,
    )
    assert call.status == "uncertain"
    assert "Amazon may have sent it" in call.outcome
    connector_calls.recover(store, now=utcnow() + timedelta(hours=2))
    assert len(amazon_api.sent) == 1


def test_a_crash_mid_send_sends_the_message_once(
    amazon_api, amazon_account, store, ticket, now, monkeypatch
) -> None:
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=now)
    send = SpApi.send_message

    def send_then_crash(self, *args):
        send(self, *args)
        raise SystemExit("killed after the request left")

    monkeypatch.setattr(SpApi, "send_message", send_then_crash)
    with pytest.raises(SystemExit):
        connector_calls.run(
            store, ticket, "amazon.unexpectedProblem", {"order": ORDER, "text": TEXT},
            confirmed_by=AGENT,
        )  # fmt: skip
    monkeypatch.setattr(SpApi, "send_message", send)
    (recovered,) = connector_calls.recover(store, now=utcnow() + timedelta(hours=2))
    assert recovered.status == "uncertain"
    assert amazon_api.sent == [(ORDER, "unexpectedProblem", {"text": TEXT})]
    assert _kinds(store, ticket)[-1] == "connector_uncertain"


def test_a_review_is_requested_once_inside_the_window(
    amazon_api, amazon_account, store, ticket, now
) -> None:
    amazon_api.add_order(
        ORDER, buyer_email=RELAY, updated=now, package_status="DELIVERED", review=True
    )
    first = connector_calls.run(
        store, ticket, "amazon.request-review", {"order": ORDER}, confirmed_by=AGENT
    )
    again = connector_calls.run(
        store, ticket, "amazon.request-review", {"order": ORDER}, confirmed_by=AGENT
    )
    assert first.status == "done"
    assert again.status == "failed"
    assert "a review was already requested" in again.outcome
    assert amazon_api.sent == [(ORDER, "productReviewAndSellerFeedback", {})]


def test_a_review_request_before_the_window_says_when_it_opens(
    amazon_api, amazon_account, store, ticket
) -> None:
    # Connector calls run on the real clock; the order arrived a day before it.
    delivered = utcnow() - timedelta(days=1)
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=delivered, package_status="DELIVERED")
    call = connector_calls.run(
        store, ticket, "amazon.request-review", {"order": ORDER}, confirmed_by=AGENT
    )
    assert call.status == "failed"
    opens = (delivered + timedelta(days=5)).strftime("%Y-%m-%d")
    assert call.outcome == (
        f"no review request for order {ORDER}: the review window opens on {opens}"
    )


def test_a_review_request_whose_answer_was_lost_is_checked_not_repeated(
    amazon_api, amazon_account, store, ticket, now
) -> None:
    amazon_api.add_order(
        ORDER, buyer_email=RELAY, updated=now, package_status="DELIVERED", review=True
    )
    amazon_api.drop_after_accept.add("createProductReviewAndSellerFeedbackSolicitation")
    call = connector_calls.run(
        store, ticket, "amazon.request-review", {"order": ORDER}, confirmed_by=AGENT
    )
    assert call.status == "queued"
    (settled,) = connector_calls.recover(store, now=utcnow() + timedelta(hours=2))
    assert settled.status == "done"
    assert amazon_api.sent == [(ORDER, "productReviewAndSellerFeedback", {})]


def test_only_the_message_types_amazon_allows_for_the_order_are_offered(
    amazon_api, amazon_account, store, ticket, now
) -> None:
    amazon_api.add_order(
        ORDER, buyer_email=RELAY, updated=now, actions=["unexpectedProblem", "invoice"]
    )
    engine.sync_account(store, amazon_account, now=now)
    found = {o.name: o for o in connector_offers.offers(store, ticket)}
    assert [name for name, o in found.items() if o.available] == ["amazon.unexpectedProblem"]
    assert found["amazon.confirmOrderDetails"].reason == (
        "Amazon does not allow this message for the order now"
    )
    assert found["amazon.unexpectedProblem"].params == {"order": ORDER}
    assert [f.key for f in found["amazon.unexpectedProblem"].fields] == ["text"]
    assert found["amazon.request-review"].reason.startswith("the order is not delivered yet")


def test_the_command_line_previews_then_sends_a_message(
    amazon_api, amazon_account, store, ticket, now, db_path
) -> None:
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=now)
    engine.sync_account(store, amazon_account, now=now)
    args = ["--db", str(db_path), "action", "run", str(ticket), "amazon.unexpectedProblem"]
    refused = CliRunner().invoke(app, [*args, "--set", "text=Sorry", "--as", "anna"], input="n\n")
    sent = CliRunner().invoke(app, [*args, "--set", f"text={TEXT}", "--yes", "--as", "anna"])
    assert refused.exit_code == 1
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines() == [
        f"Unexpected problem with the order, to the buyer of Amazon order {ORDER}:",
        "",
        TEXT,
        f"done: Unexpected problem with the order: message sent to the buyer of order {ORDER}",
    ]
    assert amazon_api.sent == [(ORDER, "unexpectedProblem", {"text": TEXT})]


def test_the_command_line_names_why_a_type_is_not_offered(
    amazon_api, amazon_account, store, ticket, now, db_path
) -> None:
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=now, actions=["unexpectedProblem"])
    engine.sync_account(store, amazon_account, now=now)
    args = ["--db", str(db_path), "action", "run", str(ticket), "amazon.warranty", "--yes"]
    missing = CliRunner().invoke(app, args)
    args[5] = "amazon.confirmOrderDetails"
    refused = CliRunner().invoke(app, [*args, "--set", "text=x"])
    assert missing.exit_code == 1 and "offers no action 'amazon.warranty'" in missing.output
    assert refused.exit_code == 1
    assert refused.output == (
        f"deskterm: amazon.confirmOrderDetails is not offered for ticket #{ticket}: "
        "Amazon does not allow this message for the order now\n"
    )
    assert amazon_api.sent == []
