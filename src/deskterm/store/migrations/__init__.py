"""The store's schema as one ordered list of migrations, applied by PRAGMA user_version
(deskterm.store.migrate runs them).

Each module holds a contiguous range of versions, oldest first, as (version, script) pairs.
Rule: a new migration is appended to the last module (latest.py) with the next version number;
never edit one that has shipped, since databases in the field have already run it.
"""

from __future__ import annotations

from typing import NamedTuple

from deskterm.store.migrations import base, kpis, latest, learning, orders, services, sla


class Migration(NamedTuple):
    """One SQL script; it brings the file to PRAGMA user_version = version."""

    version: int
    script: str


# In version order: the last one is where new migrations go.
MODULES = (base, sla, orders, services, kpis, learning, latest)

MIGRATIONS: list[Migration] = [
    Migration(version, script) for module in MODULES for version, script in module.SCRIPTS
]
