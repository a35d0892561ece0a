"""SQL on the workspace's SQLite file lives in deskterm.store: the services, the TUI and the CLI
call its read queries and write helpers instead of running statements of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import deskterm

SOURCE = Path(deskterm.__file__).parent
RUNS_SQL = {"execute", "executemany", "executescript"}

# Files outside store/ that run statements, and why. Each must still run one (a stale entry fails).
NOT_THE_STORE = {
    # The team's PostgreSQL server (deskterm.team): psycopg connections, not the SQLite file.
    "team/server.py": "the server's schema, workspace, roles and leases",
    "team/presence.py": "who is on which ticket, announced to the server",
    "team/beacon.py": "LISTEN on the server's channel",
    "team/worker.py": "the server's per-account advisory locks and LISTEN",
    "team/assignment.py": "the server's take_next",
    "team/calls.py": "the server's claim_call and call_decision",
    "team/replica.py": "LISTEN on the server's channel",
    # The demo shop's own SQLite file beside the workspace (simulated_shop.path_beside), and the
    # demo check that reads a workspace's mark before deskterm opens it as a store.
    "simulated_shop.py": "the simulated shop's orders and refunds",
    "demo_shop.py": "is_demo_workspace's look at the file's meta",
}


def _statements(path: Path) -> list[int]:
    """The lines of `path` that call .execute, .executemany or .executescript on anything."""
    tree = ast.parse(path.read_text(), str(path))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in RUNS_SQL
    )


def test_no_sqlite_statement_runs_outside_the_store() -> None:
    found = {
        str(path.relative_to(SOURCE)): lines
        for path in sorted(SOURCE.rglob("*.py"))
        if path.relative_to(SOURCE).parts[0] != "store" and (lines := _statements(path))
    }
    stray = {name: lines for name, lines in found.items() if name not in NOT_THE_STORE}
    assert not stray, f"SQL belongs in deskterm.store: {stray}"
    stale = sorted(set(NOT_THE_STORE) - set(found))
    assert not stale, f"these run no statement any more; drop them from NOT_THE_STORE: {stale}"


def test_the_check_sees_a_statement(tmp_path: Path) -> None:
    path = tmp_path / "service.py"
    path.write_text('def f(store):\n    store.conn.execute("DELETE FROM tickets")\n')
    assert _statements(path) == [2]
