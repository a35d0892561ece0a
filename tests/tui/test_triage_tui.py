"""What triage read, on the ticket screen: the sidebar and the macros the palette offers first."""

from __future__ import annotations

from helpers import settle
from workspace import build_app

from deskterm.macros import MacroSet, parse_macro

GENERIC = """
name = "apology"
description = "Say sorry"
reply = "Sorry."
"""

WISMO = """
name = "wismo"
description = "Where is my order: send the tracking link"
reply = "Your parcel is on its way."
"""


async def test_the_palette_offers_the_macros_triage_suggests_first_with_why(db):
    macro_set = MacroSet()
    for source, stem in ((GENERIC, "apology"), (WISMO, "wismo")):
        item = parse_macro(source, source="test", stem=stem)
        macro_set.macros[item.name] = item
    app = build_app(db, macro_set=macro_set)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        sidebar = str(app.screen.query_one("#sidebar-body").render())
        assert "wismo · en · neutral" in sidebar
        assert "macro wismo  named for wismo" in sidebar
        await pilot.press("m")
        await settle(pilot)
        first = str(app.screen.query_one("#macro-list").get_option_at_index(0).prompt)
        assert "wismo" in first and "named for wismo" in first
        await pilot.press("s", "o", "r")
        await settle(pilot)
        only = str(app.screen.query_one("#macro-list").get_option_at_index(0).prompt)
        assert "apology" in only
