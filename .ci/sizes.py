"""Fail when a module passes 600 lines or a function 60, so the pieces stay small.

A function may be longer when a comment just above it (above its decorators) starts with
"# Long:" and says why. Usage: python .ci/sizes.py DIR... (make lint checks src and connectors).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

MODULE_LINES = 600
FUNCTION_LINES = 60
REASON = "# Long:"


def _reasoned(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return any(line.strip().startswith(REASON) for line in _comment_block(lines, first - 2))


def _comment_block(lines: list[str], end: int) -> Iterator[str]:
    """The comment lines that end at index `end`, bottom up."""
    while end >= 0 and lines[end].strip().startswith("#"):
        yield lines[end]
        end -= 1


def problems(path: Path, text: str) -> Iterator[str]:
    lines = text.splitlines()
    if len(lines) > MODULE_LINES:
        yield f"{path}: {len(lines)} lines, over {MODULE_LINES}; split it by job"
    for node in ast.walk(ast.parse(text, str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > FUNCTION_LINES and not _reasoned(lines, node):
            yield (
                f"{path}:{node.lineno}: {node.name} is {length} lines, over {FUNCTION_LINES}; "
                f'name its steps, or say why above it in a "{REASON}" comment'
            )


def main(roots: list[str]) -> int:
    found = [
        problem
        for root in roots
        for path in sorted(Path(root).rglob("*.py"))
        for problem in problems(path, path.read_text(encoding="utf-8"))
    ]
    print(
        "\n".join(found)
        or f"sizes: no module over {MODULE_LINES}, no function over {FUNCTION_LINES} lines"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
