"""The knowledge panel beside the ticket: suggestions, search, inserting into the composer, and the
SOP checklist ticked through actions."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import pytest
from helpers import settle
from workspace import NOW, recording

from deskterm.config import Config, Shop
from deskterm.macros import load_macros
from deskterm.store import knowledge as store_kb
from deskterm.store import queries
from deskterm.tui.app import DeskApp, make_app

SHOP = "https://hatbox.example"


@pytest.fixture
def app(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeskApp:
    monkeypatch.setenv("DESKTERM_KNOWLEDGE", str(tmp_path / "no-knowledge-of-mine"))
    config = Config(agent="anna", shop=Shop(name="Hatbox", url=SHOP))
    built = make_app(
        db,
        config,
        sync=False,
        now=lambda: NOW,
        zone=UTC,
        macro_set=load_macros(user_dir=tmp_path),
        sla_tick=False,
    )
    return recording(built)


def hits(app: DeskApp) -> list[str]:
    listed = app.screen.query_one("#kb-hits")
    return [listed.get_option_at_index(i).id for i in range(listed.option_count)]


async def open_panel(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter")  # the first ticket: "Where is my order #1001?", tagged wismo
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)


async def highlight(pilot, slug: str) -> None:
    listed = pilot.app.screen.query_one("#kb-hits")
    listed.highlighted = hits(pilot.app).index(slug)
    await settle(pilot)


async def test_a_wismo_ticket_suggests_shipping_and_its_sop_first(app):
    async with app.run_test(size=(140, 42)) as pilot:
        await open_panel(pilot)
        assert app.screen.ticket_id == 1
        assert set(hits(app)[:2]) == {"shipping", "sop-wismo"}
        assert not app.screen.query_one("#sidebar").display
        assert app.screen.focused.id == "kb-search"


async def test_ctrl_l_puts_a_customer_articles_link_into_a_new_reply(app):
    async with app.run_test(size=(140, 42)) as pilot:
        await open_panel(pilot)
        await highlight(pilot, "shipping")
        await pilot.press("ctrl+l")
        await settle(pilot)
        composer = app.screen.query_one("#composer")
        assert composer.is_open and composer.kind == "reply"
        assert app.screen.query_one("#composer-body").text == (
            f"Shipping times and tracking: {SHOP}/help/shipping"
        )


async def test_an_internal_article_never_goes_into_a_reply(app):
    async with app.run_test(size=(140, 42)) as pilot:
        await open_panel(pilot)
        await highlight(pilot, "sop-wismo")
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        refusal = "'SOP: Where is my order?' is an internal article: it never goes into a reply"
        assert sum(n.startswith(refusal) for n in app.notified) == 2
        assert not app.screen.query_one("#composer").is_open
        assert app.screen.query_one("#composer-body").text == ""


async def test_ctrl_r_puts_a_chosen_section_with_readable_links_into_the_reply(app):
    async with app.run_test(size=(140, 42)) as pilot:
        await open_panel(pilot)
        await pilot.press(*"returns")
        await settle(pilot)
        assert hits(app)[0] == "returns"  # a new search starts at its best hit
        assert app.screen.query_one("#knowledge").current.slug == "returns"
        await pilot.press("ctrl+r")
        await settle(pilot)
        prompt = app.screen.query_one("OptionList")
        labels = [str(prompt.get_option_at_index(i).prompt) for i in range(prompt.option_count)]
        prompt.highlighted = labels.index("Exchanges")
        await pilot.press("enter")
        await settle(pilot)
        text = app.screen.query_one("#composer-body").text
        assert text.startswith("Want another size or colour?")
        assert f"See the size guide ({SHOP}/help/sizing) first." in text


async def test_ticking_steps_records_events_that_undo_takes_back(app):
    async with app.run_test(size=(140, 42)) as pilot:
        await open_panel(pilot)
        await highlight(pilot, "sop-wismo")
        app.screen.query_one("#kb-steps").focus()
        await pilot.press("space", "down", "space")
        await settle(pilot)
        assert store_kb.ticks(app.store, 1) == {"sop-wismo": {1, 2}}
        kinds = [e.kind for e in queries.events(app.store, 1)]
        assert kinds[-2:] == ["sop_tick", "sop_tick"]
        await pilot.press("u")
        await settle(pilot)
        assert store_kb.ticks(app.store, 1) == {"sop-wismo": {1}}
        assert app.screen.query_one("#kb-steps").selected == [1]


async def test_escape_closes_the_panel_and_brings_the_sidebar_back(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_panel(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.query_one("#knowledge").is_open
        assert app.screen.query_one("#sidebar").display
        assert app.screen.ticket_id == 1  # still on the ticket


async def test_arrows_in_the_search_line_choose_the_article_that_ctrl_l_inserts(app):
    async with app.run_test(size=(140, 42)) as pilot:
        await open_panel(pilot)
        first = hits(app)[0]
        await pilot.press("down", "down", "up", "up", "ctrl+l")
        await settle(pilot)
        assert first == "shipping"
        assert app.screen.query_one("#composer-body").text.startswith("Shipping times")


async def test_a_new_search_shows_its_best_hit_not_the_article_read_before(app):
    async with app.run_test(size=(140, 42)) as pilot:
        await open_panel(pilot)
        assert app.screen.query_one("#knowledge").current.slug == "shipping"
        await pilot.press(*"refund card")
        await settle(pilot)
        assert "shipping" in hits(app)
        assert app.screen.query_one("#knowledge").current.slug == hits(app)[0] == "refunds"


COURIER = """+++
title = "Courier {word}"
audience = "customer"
tags = ["wismo"]
url = "/help/couriers"
reviewed = 2026-11-20
+++
Which courier brings what.
"""


async def test_an_article_edited_while_the_app_runs_is_read_again_and_the_panel_shows_it(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    article = folder / "couriers.md"
    article.write_text(COURIER.format(word="notes"), encoding="utf-8")
    monkeypatch.setenv("DESKTERM_KNOWLEDGE", str(folder))
    app = recording(make_app(db, Config(agent="anna"), sync=False, now=lambda: NOW, zone=UTC))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        assert store_kb.indexed_files(app.store) == {}  # the first look writes nothing
        await open_panel(pilot)
        assert "couriers" in hits(app)
        article.write_text(COURIER.format(word="handbook"), encoding="utf-8")
        stat = article.stat()
        os.utime(article, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        (folder / "lockers.md").write_text(COURIER.format(word="lockers"), encoding="utf-8")
        app.kb_watch.look()
        await settle(pilot)
        listed = app.screen.query_one("#kb-hits")
        titles = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert any(t.startswith("cust Courier handbook") for t in titles)
        assert "lockers" in hits(app)
        assert not any("Courier notes" in t for t in titles)


async def test_each_suggestion_takes_one_line_in_a_narrow_panel(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_panel(pilot)
        listed = app.screen.query_one("#kb-hits")
        assert listed.option_count >= 4
        assert listed.virtual_size.height == listed.option_count
