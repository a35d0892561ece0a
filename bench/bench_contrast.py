"""WCAG contrast of the queue's colours on every row state, and of what the screens paint, in the
dark and light themes.

    .venv/bin/python bench/bench_contrast.py [--theme textual-dark] [--screens]

Prints each colour's ratio on a plain row, the cursor row and the focused cursor row (as the
theme paints them: its text colour laid over its surface), and the lowest; AA asks 4.5:1. With
--screens it opens the demo workspace at 80x24 (queue header, the first ticket with its sidebar,
thread and composer, the tag, snooze and priority prompts) and prints the lowest ratio of the text
each part paints, and every text below AA (tui.palette.painted; dim text counted half way to its
background, as terminals draw it).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from textual.theme import BUILTIN_THEMES

from deskterm.tui import palette


def report(theme: str) -> float:
    rows = palette.row_backgrounds(theme)
    print(f"{theme}: " + "  ".join(f"{name} {colour}" for name, colour in rows.items()))
    lowest = 21.0
    for role, colour in palette.colours(BUILTIN_THEMES[theme].dark).items():
        ratios = [palette.contrast(colour, background) for background in rows.values()]
        lowest = min(lowest, *ratios)
        shown = "  ".join(f"{ratio:5.2f}" for ratio in ratios)
        print(f"  {role:10} {colour}  {shown}{'  below AA' if min(ratios) < palette.AA else ''}")
    print(f"  lowest {lowest:.2f}:1 (AA is {palette.AA}:1)")
    return lowest


# What --screens measures: the keys that bring each part up, and the widgets that make it.
PARTS = [
    ((), "queue header", ["#status", "#views", "QueueHeader", "Footer"]),
    (("enter", "r"), "ticket", ["#ticket-title", "#sidebar", "#thread", "#composer", "Footer"]),
    (("escape", "t"), "tag prompt", [".prompt"]),
    (("escape", "z"), "snooze prompt", [".prompt"]),
    (("escape", "P"), "priority prompt", [".prompt"]),
]


async def measure_screens(db: Path, theme: str) -> float:
    from deskterm.config import Config
    from deskterm.tui.app import make_app

    app = make_app(db, Config(agent="anna", raw={}), sync=False)
    lowest = 21.0
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = theme
        for keys, part, selectors in PARTS:
            await pilot.press(*keys)
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            ratios = []
            for selector in selectors:
                for top in app.screen.query(selector):
                    for widget in [top, *top.query("*")]:
                        for text, fore, back, ratio in palette.painted(widget):
                            ratios.append(ratio)
                            if ratio < palette.AA:
                                print(f"    below AA: {ratio:.2f} {fore} on {back} {text!r}")
            low = min(ratios, default=21.0)
            lowest = min(lowest, low)
            print(f"  {part:16} lowest {low:5.2f}:1 over {len(ratios)} pieces of text")
    print(f"  {theme} screens: lowest {lowest:.2f}:1 (AA is {palette.AA}:1)")
    return lowest


def screens(themes: list[str]) -> None:
    from deskterm import demo
    from deskterm.domain import utcnow
    from deskterm.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.db"
        store = open_store(db)
        demo.build_demo(store, now=utcnow())
        store.close()
        for theme in themes:
            print(f"{theme}, screens at 80x24:")
            asyncio.run(measure_screens(db, theme))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", choices=["textual-dark", "textual-light"], action="append")
    parser.add_argument("--screens", action="store_true", help="Measure the screens too.")
    args = parser.parse_args()
    themes = args.theme or ["textual-dark", "textual-light"]
    for theme in themes:
        report(theme)
    if args.screens:
        screens(themes)


if __name__ == "__main__":
    main()
