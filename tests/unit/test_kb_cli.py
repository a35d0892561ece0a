"""`deskterm kb ...` and SOP checklists: what a person or a script sees, and what lands in the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import actions, kb
from deskterm.cli.main import app
from deskterm.store import Store
from deskterm.store import knowledge as store_kb
from deskterm.triage.labels import INTENTS

AGENT = "agent:sam"


@pytest.fixture(autouse=True)
def folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    monkeypatch.setenv("DESKTERM_KNOWLEDGE", str(knowledge))
    macros = tmp_path / "macros"
    macros.mkdir()
    monkeypatch.setenv("DESKTERM_MACROS", str(macros))
    return knowledge


def run(db_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db_path), "kb", *args])
    return result.exit_code, result.stdout, result.stderr


def test_search_prints_the_best_article_first_and_json_for_scripts(db_path: Path) -> None:
    code, out, _ = run(db_path, "search", "refund", "statement")
    assert code == 0
    assert out.splitlines()[0].startswith("refunds  Refunds: when and how")
    code, out, _ = run(db_path, "search", "refund", "--audience", "internal", "--json")
    found = json.loads(out)
    assert found and {f["audience"] for f in found} == {"internal"}
    assert {"slug", "title", "kind", "url", "score", "snippet"} <= set(found[0])


def test_show_prints_an_article_or_one_section(db_path: Path) -> None:
    code, out, _ = run(db_path, "show", "returns", "--section", "exchanges")
    assert code == 0
    assert "## Exchanges" in out and "What we cannot take back" not in out
    code, out, _ = run(db_path, "show", "sop-wismo", "--json")
    data = json.loads(out)
    assert data["kind"] == "sop" and data["target"] == "1d" and len(data["steps"]) == 7


def test_show_of_a_missing_article_or_section_fails_on_one_line(db_path: Path) -> None:
    code, _, err = run(db_path, "show", "shiping")
    assert (code, err) == (
        1,
        "deskterm: there is no article 'shiping'; did you mean shipping, sizing?\n",
    )
    code, _, err = run(db_path, "show", "returns", "-s", "nope")
    assert code == 1 and err.startswith("deskterm: returns has no section 'nope'; its sections:")


def test_check_passes_on_the_stock_set(db_path: Path) -> None:
    code, out, err = run(db_path, "check", "--today", "2026-12-01")
    assert (code, out) == (0, "")
    assert err.startswith("15 articles, 0 errors")


def test_check_names_each_problem_on_its_line_and_fails(
    db_path: Path, folders: Path, tmp_path: Path
) -> None:
    (folders / "gifts.md").write_text(
        '+++\ntitle = "Gifts"\naudience = "customer"\nintents = ["gifting", "refund"]\n'
        "reviewed = 2026-01-05\n+++\n"
        "See [returns](returns.md#exchange) and [wrapping](wrapping.md).\n",
        encoding="utf-8",
    )
    (folders / "broken.md").write_text("no front matter\n", encoding="utf-8")
    (tmp_path / "macros" / "gift.toml").write_text(
        'note = "gift"\nsop = "sop-gifts"\n', encoding="utf-8"
    )
    (tmp_path / "macros" / "ship.toml").write_text(
        'note = "ship"\nsop = "shipping"\n', encoding="utf-8"
    )
    code, out, _ = run(db_path, "check", "--today", "2026-12-01")
    assert code == 1
    lines = out.splitlines()
    gifts, broken = folders / "gifts.md", folders / "broken.md"
    assert lines == sorted(lines, key=lines.index)  # one line per problem, nothing else
    assert set(lines) == {
        f"error: {broken}: must start with TOML front matter between two +++ lines",
        f"error: {gifts}:7: link to 'returns.md#exchange': returns has no section 'exchange'",
        f"error: {gifts}:7: link to 'wrapping.md': there is no article 'wrapping'",
        f"error: {gifts}: intent 'gifting' is not one triage gives; it gives {', '.join(INTENTS)}",
        f"error: {gifts}: not reviewed for 330 days (last 2026-01-05); read it through and update reviewed",
        f"warning: {gifts}: is for customers but has no url; only its text can go in a reply",
        f"error: {tmp_path / 'macros' / 'gift.toml'}: macro gift: there is no SOP 'sop-gifts'",
        f"error: {tmp_path / 'macros' / 'ship.toml'}: macro ship: 'shipping' is an article, not an SOP",
    }
    code, out, _ = run(db_path, "check", "--today", "2026-12-01", "--json")
    assert code == 1 and len(json.loads(out)["problems"]) == 8


def test_the_stock_macros_follow_stock_sops() -> None:
    from deskterm import macros

    loaded = macros.load_macros()
    assert loaded.get("wismo").sop == "sop-wismo"
    assert loaded.get("wismo").to_dict()["sop"] == "sop-wismo"


def test_a_macro_naming_an_sop_badly_is_refused() -> None:
    from deskterm import macros

    with pytest.raises(macros.MacroError, match="sop 'SOP WISMO' must name an SOP"):
        macros.parse_macro('note = "x"\nsop = "SOP WISMO"\n', stem="x")


def test_a_tick_is_an_event_in_the_timeline_and_undo_takes_it_back(
    store: Store, make_message, deliver
) -> None:
    deliver(make_message())
    ticket = store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
    actions.tick_step(store, ticket, "sop-wismo", 2, "Read the tracking", actor=AGENT)
    actions.tick_step(store, ticket, "sop-wismo", 4, "Send the link", actor=AGENT)
    assert store_kb.ticks(store, ticket) == {"sop-wismo": {2, 4}}
    kind, data = store.conn.execute(
        "SELECT kind, data FROM events WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", (ticket,)
    ).fetchone()
    assert (kind, json.loads(data)) == (
        "sop_tick",
        {"sop": "sop-wismo", "step": 4, "text": "Send the link"},
    )
    with pytest.raises(actions.ActionError, match="step 4 of sop-wismo on ticket #1 is already"):
        actions.tick_step(store, ticket, "sop-wismo", 4, "Send the link", actor=AGENT)

    actions.undo(store, actor=AGENT)
    assert store_kb.ticks(store, ticket) == {"sop-wismo": {2}}
    actions.untick_step(store, ticket, "sop-wismo", 2, "Read the tracking", actor=AGENT)
    assert store_kb.ticks(store, ticket) == {}
    actions.undo(store, actor=AGENT)
    assert store_kb.ticks(store, ticket) == {"sop-wismo": {2}}


def test_a_ticket_follows_the_sop_of_a_macro_applied_to_it(
    store: Store, make_message, deliver
) -> None:
    from deskterm import macros

    kb.refresh(store)
    deliver(make_message(subject="Hello", text="Just a question about my parcel"))
    ticket = store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
    loaded = macros.load_macros()
    sops = {m.name: m.sop for m in loaded if m.sop}
    before = kb.suggest(store, kb.facts_for(store, ticket, macro_sops=sops))
    assert kb.sops_for(before) == []
    actions.set_priority(store, ticket, "high", actor="macro:wismo")
    after = kb.suggest(store, kb.facts_for(store, ticket, macro_sops=sops))
    assert [a.slug for a in kb.sops_for(after)] == ["sop-wismo"]


def test_a_tickets_suggestions_follow_the_intent_triage_read(store: Store, make_message, deliver):
    kb.refresh(store)
    deliver(
        make_message(
            subject="Order 1042",
            text="Please change the delivery address of order 1042 to 5 Elm Street.",
        )
    )
    ticket = store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
    facts = kb.facts_for(store, ticket)
    assert facts.intent == "address"
    first = kb.suggest(store, facts)[0]
    assert first.article.slug == "address-changes"
    assert "intent address" in first.reasons
