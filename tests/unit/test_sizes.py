"""The size check in `make lint`: long functions and modules are named, reasoned ones pass."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "sizes.py"


def _sizes():
    spec = importlib.util.spec_from_file_location("sizes", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _function(lines: int, above: str = "") -> str:
    body = "".join(f"    x = {n}\n" for n in range(lines - 1))
    return f"{above}def long():\n{body}"


def test_a_function_over_sixty_lines_is_named_with_its_length():
    sizes = _sizes()
    assert list(sizes.problems(Path("m.py"), _function(60))) == []
    (problem,) = sizes.problems(Path("m.py"), _function(61))
    assert problem.startswith("m.py:1: long is 61 lines, over 60")


def test_a_reason_above_a_long_function_lets_it_pass_but_a_plain_comment_does_not():
    sizes = _sizes()
    reasoned = "# Long: one table of cases, read top to bottom.\n@decorator\n"
    assert list(sizes.problems(Path("m.py"), _function(80, reasoned))) == []
    assert len(list(sizes.problems(Path("m.py"), _function(80, "# a table\n")))) == 1


def test_a_module_over_six_hundred_lines_is_named():
    sizes = _sizes()
    assert list(sizes.problems(Path("m.py"), "x = 1\n" * 600)) == []
    (problem,) = sizes.problems(Path("m.py"), "x = 1\n" * 601)
    assert problem == "m.py: 601 lines, over 600; split it by job"
