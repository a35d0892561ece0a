"""WCAG contrast of the queue's colours on every row state, in the dark and light themes.

    .venv/bin/python bench/bench_contrast.py [--theme textual-dark]

Prints each colour's ratio on a plain row, the cursor row and the focused cursor row (as the
theme paints them: its text colour laid over its surface), and the lowest; AA asks 4.5:1.
"""

from __future__ import annotations

import argparse

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", choices=["textual-dark", "textual-light"], action="append")
    args = parser.parse_args()
    for theme in args.theme or ["textual-dark", "textual-light"]:
        report(theme)


if __name__ == "__main__":
    main()
