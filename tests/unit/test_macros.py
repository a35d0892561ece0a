"""Macros against a real store: loading, preview, applying through actions, undo, Python macros."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from deskterm import connector, ingest, macros
from deskterm.config import Config, Shop
from deskterm.domain import Batch, Identity, InboundMessage, OrderSnapshot
from deskterm.macros import MacroError, apply, load_macros, preview, undo_macro
from deskterm.store import Store, open_store

# The shared conftest freezes the same moment in its `now` fixture.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

CONFIG = Config(
    agent="Sam",
    shop=Shop(name="Hatbox", url="https://hatbox.example", signature="Sam at Hatbox"),
)
REQUIRED_CASES = [
    "wismo",
    "delayed-shipment",
    "return-instructions",
    "refund-confirmation",
    "damaged-item",
    "wrong-size-exchange",
    "out-of-stock",
    "cancellation-request",
    "address-change",
    "escalate-tier2",
    "thank-you-csat",
    "amazon-buyer-reply",
    "ebay-buyer-reply",
]


def order(number: str = "#1001", **fields) -> OrderSnapshot:
    values = {
        "account": "shop",
        "external_id": f"gid-{number}",
        "number": number,
        "customer": Identity("email", "anna@example.com"),
        "status": "paid",
        "placed_at": NOW - timedelta(days=3),
        "total": "59.00",
        "currency": "EUR",
        "fulfillment_status": "fulfilled",
        "carrier": "DHL",
        "tracking_number": "JD0001",
        "tracking_url": "https://track.example/JD0001",
        "items": ({"title": "Felt hat", "quantity": 1},),
        "customer_name": "Anna Adams",
    }
    values.update(fields)
    return OrderSnapshot(**values)


@pytest.fixture
def ticket_for(store: Store, make_message):
    """A ticket from Anna, with the given orders in the store, linked to the first one."""

    def make(*orders: OrderSnapshot, **message) -> int:
        numbers = tuple(o.number for o in orders[:1])
        msg = make_message(order_numbers=numbers, **message)
        ingest.ingest_batch(store, msg.account, Batch([msg], {}, orders=list(orders)), now=NOW)
        return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]

    return make


@pytest.fixture
def stock() -> macros.MacroSet:
    return load_macros()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def events(store: Store) -> list[tuple[str, str]]:
    return [tuple(r) for r in store.conn.execute("SELECT kind, actor FROM events ORDER BY id")]


def ticket_row(store: Store, ticket: int) -> tuple:
    return store.conn.execute(
        "SELECT status, priority, assignee, escalation, snoozed_until FROM tickets WHERE id = ?",
        (ticket,),
    ).fetchone()


def tags(store: Store, ticket: int) -> list[str]:
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag", (ticket,)
        )
    ]


def outbox(store: Store) -> list[tuple[str, dict]]:
    return [
        (status, json.loads(payload))
        for status, payload in store.conn.execute("SELECT status, payload FROM outbox ORDER BY id")
    ]


# --- the stock pack --------------------------------------------------------------------------


def test_the_stock_pack_loads_cleanly_and_covers_the_everyday_cases(
    stock: macros.MacroSet,
) -> None:
    assert stock.problems == []
    assert len(stock) >= 12
    for name in REQUIRED_CASES:
        assert stock.get(name).description


def test_stock_keys_do_not_clash_with_the_app(stock: macros.MacroSet) -> None:
    bound = {m.key for m in stock if m.key}
    assert bound and not bound & macros.app_keys()
    assert stock.for_key("w").name == "wismo"


STOCK_FILES = resources.files("deskterm.stock_macros").iterdir()


@pytest.mark.parametrize(
    "name", sorted(p.name[:-5] for p in STOCK_FILES if p.name.endswith(".toml"))
)
def test_every_stock_macro_renders_a_finished_text(
    store: Store, ticket_for, stock: macros.MacroSet, name: str
) -> None:
    item = stock.get(name)
    channel = item.channels[0] if item.channels else "email"
    ticket = ticket_for(order(), channel=channel)
    result = preview(item, store, ticket, config=CONFIG, now=NOW)
    assert result.text
    for leftover in ("{{", "{%", "}}", "None", "Undefined"):
        assert leftover not in result.text
    if any(s.kind == "reply" for s in result.steps):
        assert "Anna" in result.text
        assert "Sam" in result.text


# --- preview and apply -----------------------------------------------------------------------


def test_wismo_replies_with_the_tracking_link_and_leaves_the_ticket_pending(
    store: Store, ticket_for, stock: macros.MacroSet
) -> None:
    ticket = ticket_for(order())
    done = apply(stock.get("wismo"), store, ticket, config=CONFIG, at=NOW)
    assert [k for k, _ in events(store)[-len(done) :]] == ["reply", "status", "tag"]
    assert {actor for _, actor in events(store)[-3:]} == {"macro:wismo"}
    assert ticket_row(store, ticket)[0] == "pending"
    assert tags(store, ticket) == ["wismo"]
    [(status, payload)] = outbox(store)
    assert status == "queued"
    assert payload["to"] == {"kind": "email", "value": "anna@example.com"}
    assert "https://track.example/JD0001" in payload["body"]
    assert payload["body"].startswith("Hi Anna,")


def test_the_linked_order_wins_over_the_latest_one(store: Store, ticket_for, stock) -> None:
    older = order("#900", placed_at=NOW - timedelta(days=30), tracking_url="https://t/old")
    newer = order("#1001")
    ticket = ticket_for(older, newer)
    assert "https://t/old" in preview(stock.get("wismo"), store, ticket, config=CONFIG).text


def test_without_a_linked_order_the_latest_order_is_used(
    store: Store, ticket_for, make_message, stock
) -> None:
    ticket_for(order("#900", placed_at=NOW - timedelta(days=30)), order("#1001"))
    msg = make_message(subject="Another question", message_id="<other@example.com>")
    ingest.ingest_batch(store, "mail", Batch([msg], {}), now=NOW)
    unlinked = store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
    assert "#1001" in preview(stock.get("wismo"), store, unlinked, config=CONFIG).text


def test_a_missing_tracking_link_stops_the_macro_and_changes_nothing(
    store: Store, ticket_for, stock
) -> None:
    ticket = ticket_for(order(tracking_url="", tracking_number=""))
    before = (events(store), ticket_row(store, ticket))
    with pytest.raises(MacroError, match=r"order\.tracking_url has no value"):
        apply(stock.get("wismo"), store, ticket, config=CONFIG, at=NOW)
    assert (events(store), ticket_row(store, ticket)) == before
    assert outbox(store) == []


def test_a_customer_without_orders_gets_a_clear_stop(store: Store, ticket_for, stock) -> None:
    ticket = ticket_for()
    with pytest.raises(MacroError, match=r"order\.total has no value: there is no order"):
        preview(stock.get("refund-confirmation"), store, ticket, config=CONFIG)
    text = preview(stock.get("need-order-number"), store, ticket, config=CONFIG).text
    assert "anna@example.com" in text


def test_a_failing_step_rolls_back_the_steps_before_it(
    store: Store, ticket_for, tmp_path: Path
) -> None:
    ticket = ticket_for(order())
    write(
        tmp_path,
        "reply-then-close.toml",
        'reply = "Hi {{ customer.first_name }}"\nactions = [{ tag = "x" }, { status = "closed" }]',
    )
    item = load_macros(tmp_path).get("reply-then-close")
    before = (events(store), ticket_row(store, ticket), tags(store, ticket))
    with pytest.raises(MacroError, match=r"step 3 \(set status to closed\).*nothing was changed"):
        apply(item, store, ticket, config=CONFIG, at=NOW)
    assert (events(store), ticket_row(store, ticket), tags(store, ticket)) == before
    assert outbox(store) == []


def test_steps_that_would_change_nothing_are_skipped_not_failed(
    store: Store, ticket_for, stock
) -> None:
    ticket = ticket_for(order())
    apply(stock.get("wismo"), store, ticket, config=CONFIG, at=NOW)
    again = preview(stock.get("wismo"), store, ticket, config=CONFIG, now=NOW)
    assert [s.skip for s in again.steps] == ["", "already pending", "already tagged wismo"]
    done = apply(stock.get("wismo"), store, ticket, config=CONFIG, at=NOW + timedelta(minutes=1))
    assert len(done) == 1
    assert len(outbox(store)) == 2


def test_the_agent_given_signs_the_reply(store: Store, ticket_for, stock) -> None:
    ticket = ticket_for(order())
    result = preview(stock.get("wismo"), store, ticket, "Lee", config=CONFIG)
    assert result.agent == "Lee"
    assert "\nLee\nSam at Hatbox" in result.text


def test_customer_text_cannot_smuggle_terminal_escapes_into_a_reply(
    store: Store, ticket_for, stock
) -> None:
    ticket = ticket_for(order(), sender_name="\x1b[31mAnna\x1b]8;;http://evil\x07 Adams")
    text = preview(stock.get("wismo"), store, ticket, config=CONFIG).text
    assert "\x1b" not in text and "\x07" not in text
    assert text.startswith("Hi Anna")


def test_a_macro_for_one_channel_refuses_another(store: Store, ticket_for, stock) -> None:
    ticket = ticket_for(order(), channel="email")
    with pytest.raises(MacroError, match=r"for amazon tickets; ticket #\d+ is email"):
        preview(stock.get("amazon-buyer-reply"), store, ticket, config=CONFIG)


def test_escalate_assign_priority_and_snooze_go_through_actions(
    store: Store, ticket_for, tmp_path: Path
) -> None:
    ticket = ticket_for(order())
    write(
        tmp_path,
        "hand-over.toml",
        'note = "For {{ agent.name }}"\nactions = [\n'
        '  { escalate = "Refund above {{ order.total }} {{ order.currency }}" },\n'
        '  { assign = "{{ agent.name }}" },\n  { priority = "urgent" },\n'
        '  { snooze = "1d12h" },\n  { untag = "nope" },\n]\n',
    )
    item = load_macros(tmp_path).get("hand-over")
    apply(item, store, ticket, "Lee", config=CONFIG, at=NOW)
    _, priority, assignee, escalation, snoozed = ticket_row(store, ticket)
    assert (priority, assignee, escalation) == ("urgent", "Lee", 1)
    assert snoozed == "2026-11-22T00:00:00Z"
    reason = store.conn.execute(
        "SELECT data FROM events WHERE kind = 'escalate' AND actor = 'macro:hand-over'"
    ).fetchone()[0]
    assert json.loads(reason)["reason"] == "Refund above 59.00 EUR"


def test_snooze_reads_durations_and_moments_in_the_agents_zone(tmp_path: Path) -> None:
    berlin = timezone(timedelta(hours=1))
    assert macros.snooze_until("2026-12-01T09:00:00Z", NOW, berlin) == datetime(
        2026, 12, 1, 9, tzinfo=UTC
    )
    assert macros.snooze_until("1h30m", NOW, berlin) == NOW + timedelta(minutes=90)
    assert macros.snooze_until("2026-12-01 09:00", NOW, berlin) == datetime(
        2026, 12, 1, 8, tzinfo=UTC
    )
    assert macros.snooze_until("tomorrow 10:00", NOW, berlin) == datetime(
        2026, 11, 21, 9, tzinfo=UTC
    )
    write(tmp_path, "bad.toml", 'note = "x"\nactions = [{ snooze = "tomorrowish" }]')
    problem = str(load_macros(tmp_path, stock=False).problems[0])
    assert "snooze: cannot read 'tomorrowish'; use a duration" in problem


# --- loading, overriding, keys ---------------------------------------------------------------


def test_a_user_macro_overrides_the_stock_one_by_name(tmp_path: Path) -> None:
    write(tmp_path, "mine.toml", 'name = "wismo"\nkey = "f2"\nreply = "Hello {{ agent.name }}"')
    loaded = load_macros(tmp_path)
    assert loaded.get("wismo").origin == "user"
    assert loaded.for_key("f2").name == "wismo"
    assert loaded.for_key("w") is None


def test_a_key_the_app_uses_is_reported_when_macros_load(tmp_path: Path) -> None:
    write(tmp_path, "clash.toml", 'name = "clash"\nkey = "r"\nnote = "x"')
    loaded = load_macros(tmp_path)
    assert any("key 'r' is one of the app's own keys" in p.message for p in loaded.errors)
    assert loaded.for_key("r") is None


def test_keys_the_user_rebinds_in_their_keymap_are_judged_as_rebound(tmp_path: Path) -> None:
    write(tmp_path, "mine.toml", 'name = "mine"\nkey = "f5"\nnote = "x"')
    rebound = Config(raw={"keymap": {"reply": "f5"}})
    loaded = load_macros(tmp_path, reserved=macros.app_keys(rebound))
    assert any("key 'f5' is one of the app's own keys" in p.message for p in loaded.errors)
    assert loaded.for_key("w").name == "wismo"


def test_two_macros_on_one_key_report_the_clash_and_bind_only_one(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'name = "aaa"\nkey = "w"\nnote = "x"')
    loaded = load_macros(tmp_path)
    assert loaded.for_key("w").name == "aaa"
    [problem] = loaded.errors
    assert "key 'w' is already bound to macro aaa; wismo is left without a key" in problem.message


def test_a_broken_user_macro_is_reported_and_the_stock_one_stays(tmp_path: Path) -> None:
    write(tmp_path, "wismo.toml", 'reply = "Hi {{ customer.first_name }"')
    loaded = load_macros(tmp_path)
    assert loaded.get("wismo").origin == "stock"
    [problem] = loaded.errors
    assert problem.source.endswith("wismo.toml") and "reply: line 1" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('reply = "{{ custmer.name }}"', "did you mean 'customer'"),
        ('note = "x"\nactions = [{ stauts = "pending" }]', "did you mean 'status'"),
        ('note = "x"\nactions = [{ status = "done" }]', "unknown status 'done'"),
        ('note = "x"\nactions = [{ status = "open", tag = "a" }]', "exactly one action"),
        ('note = "x"\nkey = "ctrl+shift+"', "not a key name"),
        ('note = "x"\nkey = "alt+w"', "not a key name"),
        ('repyl = "x"', "did you mean 'reply'"),
        ('name = "Bad Name"\nnote = "x"', "lower-case"),
        ('description = "nothing to do"', "needs a reply, a note or"),
        ('note = "x"\nactions = [{ connector = "refund" }]', "like 'shopify.refund'"),
        ("reply = [", "not valid TOML"),
    ],
)
def test_mistakes_in_a_macro_file_are_reported_clearly(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path, "m.toml", text)
    loaded = load_macros(tmp_path, stock=False)
    assert len(loaded) == 0
    [problem] = loaded.problems
    assert message in problem.message


def test_one_name_twice_in_the_user_folder_keeps_the_first_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'name = "greet"\nreply = "Hello"')
    write(
        tmp_path,
        "b.py",
        "from deskterm.macros import macro\n\n@macro(name='greet')\n"
        "def greet(ctx):\n    ctx.reply('Hi')\n",
    )
    (tmp_path / "c.toml").write_bytes(b"reply = '\xff\xfe'")
    loaded = load_macros(tmp_path, stock=False)
    assert loaded.get("greet").kind == "toml"
    messages = [p.message for p in loaded.problems]
    assert any("also defined in" in m and "a.toml" in m for m in messages)
    assert any("utf-8" in m for m in messages)
    assert len(loaded.problems) == 2


def test_the_palette_search_finds_macros_by_words(stock: macros.MacroSet) -> None:
    assert stock.search("wismo")[0].name == "wismo"
    assert "damaged-item" in [m.name for m in stock.search("photo")]
    assert [m.name for m in stock.search("amazon links")] == ["amazon-buyer-reply"]
    assert len(stock.search("")) == len(stock)


# --- Python macros ---------------------------------------------------------------------------

PYTHON_MACRO = """
from deskterm.macros import macro


@macro(name="vip-wismo", key="V", description="WISMO for VIPs")
def vip_wismo(ctx):
    ctx.reply(ctx.render("Hi {{ customer.first_name }}, {{ order.number }} is on its way."))
    if float(ctx.order.total) > 50:
        ctx.tag("vip")
        ctx.set_priority("high")
    ctx.snooze("3d")


@macro(name="explode")
def explode(ctx):
    ctx.note("about to fail")
    raise RuntimeError("the warehouse API said no")
"""


def test_a_python_macro_decides_and_applies_its_steps(
    store: Store, ticket_for, tmp_path: Path
) -> None:
    write(tmp_path, "mine.py", PYTHON_MACRO)
    loaded = load_macros(tmp_path)
    item = loaded.get("vip-wismo")
    assert (item.kind, item.key, loaded.for_key("V")) == ("python", "V", item)
    ticket = ticket_for(order())
    shown = preview(item, store, ticket, config=CONFIG, now=NOW)
    assert shown.text == "Hi Anna, #1001 is on its way."
    assert [s.kind for s in shown.steps] == ["reply", "tag", "priority", "snooze"]
    apply(item, store, ticket, config=CONFIG, at=NOW)
    assert events(store)[-4:] == [
        ("reply", "macro:vip-wismo"),
        ("tag", "macro:vip-wismo"),
        ("priority", "macro:vip-wismo"),
        ("snooze", "macro:vip-wismo"),
    ]
    assert ticket_row(store, ticket)[4] == "2026-11-23T12:00:00Z"


def test_a_failing_python_macro_shows_its_error_and_leaves_the_ticket(
    store: Store, ticket_for, tmp_path: Path
) -> None:
    write(tmp_path, "mine.py", PYTHON_MACRO)
    ticket = ticket_for(order())
    before = events(store)
    with pytest.raises(MacroError, match=r"RuntimeError: the warehouse API said no \(line 17"):
        apply(load_macros(tmp_path).get("explode"), store, ticket, config=CONFIG)
    assert events(store) == before


def test_a_python_file_that_cannot_load_is_reported_not_raised(tmp_path: Path) -> None:
    write(tmp_path, "broken.py", "import sys\nsys.exit(3)\n")
    write(tmp_path, "typo.py", "from deskterm.macros import macro\n@macro(name='x', key='q')\n")
    loaded = load_macros(tmp_path)
    messages = [p.message for p in loaded.errors]
    assert any("SystemExit" in m for m in messages)
    assert any("SyntaxError" in m for m in messages)
    assert loaded.get("wismo")


# --- connector actions -----------------------------------------------------------------------


class FakeShop(connector.Connector):
    name = "shopify"
    channel = "shopify"
    calls: ClassVar[list[dict]] = []
    fail: ClassVar[bool] = False

    def actions(self) -> list[connector.ConnectorAction]:
        def refund(params: Mapping, *, idempotency_key: str) -> connector.ActionOutcome:
            if FakeShop.fail:
                raise connector.PermanentError("Order is already fully refunded")
            FakeShop.calls.append(dict(params))
            return connector.ActionOutcome(f"refund {params['order']} created")

        return [connector.ConnectorAction("refund", "Refund an order", refund)]


@pytest.fixture
def fake_shop(store: Store, monkeypatch: pytest.MonkeyPatch) -> type[FakeShop]:
    FakeShop.calls, FakeShop.fail = [], False
    monkeypatch.setattr(connector, "registry", lambda: {"shopify": FakeShop})
    store.conn.execute(
        "INSERT INTO accounts (name, connector, channel, created_at) VALUES (?, ?, ?, ?)",
        ("shop", "shopify", "shopify", "2026-01-01T00:00:00Z"),
    )
    return FakeShop


def test_a_connector_action_is_shown_and_needs_confirmation(
    store: Store, ticket_for, stock, fake_shop
) -> None:
    ticket = ticket_for(order())
    item = stock.get("refund-order")
    shown = preview(item, store, ticket, config=CONFIG)
    assert shown.needs_confirmation
    assert "run shopify.refund (order=#1001, amount=59.00, currency=EUR)" in [
        s.describe().removesuffix(" - needs confirmation") for s in shown.steps
    ]
    with pytest.raises(MacroError, match="must be confirmed; nothing was changed"):
        apply(item, store, ticket, config=CONFIG)
    assert fake_shop.calls == [] and outbox(store) == []


def test_a_confirmed_connector_action_runs_and_is_recorded(
    store: Store, ticket_for, stock, fake_shop
) -> None:
    ticket = ticket_for(order())
    done = apply(stock.get("refund-order"), store, ticket, confirm=True, config=CONFIG, at=NOW)
    assert fake_shop.calls == [{"order": "#1001", "amount": "59.00", "currency": "EUR"}]
    timeline = [e for e in macros.applied_events(store, done) if e.kind.startswith("connector")]
    assert [(e.kind, e.actor) for e in timeline] == [
        ("connector_started", "macro:refund-order"),
        ("connector_done", "connector:shop"),
    ]
    assert timeline[1].data["text"] == "refund #1001 created"
    assert ticket_row(store, ticket)[0] == "solved"
    with pytest.raises(MacroError, match="ran a connector action"):
        undo_macro(store, "refund-order")


def test_a_refused_connector_action_stops_the_macro_before_its_reply(
    store: Store, ticket_for, stock, fake_shop
) -> None:
    fake_shop.fail = True
    ticket = ticket_for(order())
    before = (events(store), ticket_row(store, ticket))
    with pytest.raises(
        MacroError, match=r"shopify\.refund failed: Order is already fully refunded; the other"
    ):
        apply(stock.get("refund-order"), store, ticket, confirm=True, config=CONFIG)
    assert events(store) == [
        *before[0],
        ("connector_started", "macro:refund-order"),
        ("connector_failed", "connector:shop"),
    ]
    assert ticket_row(store, ticket) == before[1]
    assert outbox(store) == []


# --- undo ------------------------------------------------------------------------------------


def test_undo_reverts_every_step_of_the_last_application(store: Store, ticket_for, stock) -> None:
    first = ticket_for(order())
    apply(stock.get("wismo"), store, first, config=CONFIG, at=NOW)
    before = (ticket_row(store, first), tags(store, first))
    apply(stock.get("damaged-item"), store, first, config=CONFIG, at=NOW + timedelta(minutes=1))
    undone = undo_macro(store, "damaged-item")
    assert len(undone) == 3
    assert (ticket_row(store, first), tags(store, first)) == before
    assert [s for s, _ in outbox(store)] == ["queued", "cancelled"]
    with pytest.raises(MacroError, match="nothing to undo"):
        undo_macro(store, "damaged-item")


def test_undoing_again_reaches_back_to_the_application_before(
    store: Store, ticket_for, stock
) -> None:
    ticket = ticket_for(order())
    untouched = (ticket_row(store, ticket), tags(store, ticket))
    apply(stock.get("damaged-item"), store, ticket, config=CONFIG, at=NOW)
    after_first = (ticket_row(store, ticket), tags(store, ticket))
    store.conn.execute("UPDATE tickets SET status = 'open'")
    apply(stock.get("damaged-item"), store, ticket, config=CONFIG, at=NOW + timedelta(hours=1))
    assert len(undo_macro(store, "damaged-item")) == 2
    assert (ticket_row(store, ticket), tags(store, ticket)) == (
        ("open", *after_first[0][1:]),
        after_first[1],
    )
    assert len(undo_macro(store, "damaged-item")) == 4
    assert (ticket_row(store, ticket), tags(store, ticket)) == untouched


def test_undo_refuses_once_the_reply_has_left(store: Store, ticket_for, stock) -> None:
    ticket = ticket_for(order())
    apply(stock.get("wismo"), store, ticket, config=CONFIG, at=NOW)
    store.conn.execute("UPDATE outbox SET status = 'sent'")
    with pytest.raises(MacroError, match=r"already left.*nothing was undone"):
        undo_macro(store, "wismo")
    assert ticket_row(store, ticket)[0] == "pending"
    assert tags(store, ticket) == ["wismo"]


# --- properties ------------------------------------------------------------------------------

ACTION_CHOICES = st.sampled_from(
    [
        '{ status = "pending" }',
        '{ status = "on_hold" }',
        '{ priority = "urgent" }',
        '{ tag = "alpha" }',
        '{ tag = ["beta", "gamma"] }',
        '{ untag = "alpha" }',
        '{ assign = "{{ agent.name }}" }',
        '{ escalate = "because" }',
        '{ snooze = "3h" }',
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chosen=st.lists(ACTION_CHOICES, min_size=1, max_size=6),
    with_reply=st.booleans(),
    name=st.text(min_size=1, max_size=30),
)
def test_undo_puts_the_ticket_back_exactly_as_it_was(
    chosen: list[str], with_reply: bool, name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    store = open_store(memory=True)
    msg = InboundMessage(
        account="mail",
        external_id="e1",
        channel="email",
        sender=Identity("email", "anna@example.com"),
        sender_name=name,
        sent_at=NOW - timedelta(hours=1),
        text="Where is it?",
        order_numbers=("#1001",),
    )
    ingest.ingest_batch(store, "mail", Batch([msg], {}, orders=[order()]), now=NOW)
    ticket = store.conn.execute("SELECT id FROM tickets").fetchone()[0]
    folder = tmp_path_factory.mktemp("macros")
    reply = "reply = \"Hi {{ customer.name | default('there') }}\"\n" if with_reply else ""
    write(folder, "m.toml", f'{reply}note = "n"\nactions = [{", ".join(chosen)}]\n')
    item = load_macros(folder, stock=False).get("m")
    before = (ticket_row(store, ticket), tags(store, ticket))
    try:
        done = apply(item, store, ticket, config=CONFIG, at=NOW)
    except MacroError:
        event("refused")
        assert (ticket_row(store, ticket), tags(store, ticket)) == before
        return
    event("applied")
    if with_reply:
        body = json.loads(store.conn.execute("SELECT payload FROM outbox").fetchone()[0])["body"]
        assert not any(ord(c) < 32 and c not in "\n\t" for c in body)
    assert len(undo_macro(store, "m", at=NOW)) == len(done)
    assert (ticket_row(store, ticket), tags(store, ticket)) == before


def test_loading_macros_never_imports_the_tui():
    code = (
        "import sys, deskterm.macros; print(any(m.startswith('deskterm.tui') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
