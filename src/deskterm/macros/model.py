"""What a macro is: the loaded macro, its steps as written and as resolved, the set of macros
with their keys and the problems found loading them, and the one error every part raises."""

from __future__ import annotations

import difflib
import re
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskterm.domain import Problem, to_iso
from deskterm.keys import normalize_key

if TYPE_CHECKING:
    from deskterm.macros.steps import MacroContext

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
# An SOP of the knowledge base, by its file name without .md (deskterm.kb checks it exists).
SOP_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")
AFTER_CHOICES = ("next", "stay")
ACTION_KINDS = ("status", "priority", "tag", "untag", "assign", "escalate", "snooze", "connector")


class MacroError(Exception):
    """A macro cannot be loaded, previewed or applied; the message says which and why."""


def _plain(value: Any) -> Any:
    """A value as JSON can carry it: TOML moments become ISO text, tables and lists recurse."""
    if isinstance(value, datetime):
        return to_iso(value) if value.tzinfo else value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- what a macro is -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One action of a TOML macro as written: its values are still templates."""

    kind: str
    value: Any
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing applying a macro will do, with its text rendered and its values resolved."""

    kind: str
    value: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)
    skip: str = ""

    @property
    def needs_confirmation(self) -> bool:
        """Connector actions reach outside deskterm (refunds, cancellations): a person confirms."""
        return self.kind == "connector" and not self.skip

    def describe(self) -> str:
        """One line for the preview: what the step does, and why it will not when it is skipped."""
        value = self.value
        match self.kind:
            case "reply":
                text = "send the reply to the customer"
            case "note":
                text = "add an internal note"
            case "status" | "priority":
                text = f"set {self.kind} to {value}"
            case "tag":
                text = f"add tag {value}"
            case "untag":
                text = f"remove tag {value}"
            case "assign":
                text = f"assign to {value}" if value else "unassign"
            case "escalate":
                text = f"escalate: {value}"
            case "snooze":
                text = f"snooze until {to_iso(value)}"
            case _:
                params = ", ".join(f"{k}={v}" for k, v in self.params.items())
                text = f"run {value}{f' ({params})' if params else ''} - needs confirmation"
        return f"{text} (skipped: {self.skip})" if self.skip else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": _plain(self.value),
            "params": _plain(self.params),
            "skip": self.skip,
            "needs_confirmation": self.needs_confirmation,
            "description": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class Macro:
    """A loaded macro: either TOML templates and steps, or a Python function that records steps."""

    name: str
    description: str = ""
    key: str | None = None
    after: str = "next"
    channels: tuple[str, ...] = ()
    reply: str | None = None
    note: str | None = None
    steps: tuple[StepSpec, ...] = ()
    function: Callable[[MacroContext], Any] | None = None
    sop: str | None = None
    reviewed: date | None = None
    origin: str = "stock"
    source: str = ""

    @property
    def actor(self) -> str:
        """The actor its events carry, so the audit log and undo know which macro did what."""
        return f"macro:{self.name}"

    @property
    def kind(self) -> str:
        return "python" if self.function else "toml"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "key": self.key,
            "after": self.after,
            "channels": list(self.channels),
            "kind": self.kind,
            "sop": self.sop,
            "reviewed": self.reviewed.isoformat() if self.reviewed else None,
            "origin": self.origin,
            "source": self.source,
            "reply": self.reply,
            "note": self.note,
            "actions": [
                {s.kind: _plain(s.value), **({"params": _plain(s.params)} if s.params else {})}
                for s in self.steps
            ],
        }


@dataclass(slots=True)
class MacroSet:
    """Every usable macro by name, the keys they are bound to, and what went wrong loading them."""

    macros: dict[str, Macro] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Macro]:
        return iter(sorted(self.macros.values(), key=lambda m: m.name))

    def __len__(self) -> int:
        return len(self.macros)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.error]

    def get(self, name: str) -> Macro:
        """The macro called `name`; an unknown name suggests the closest ones."""
        try:
            return self.macros[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.macros), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise MacroError(f"there is no macro {name!r}{hint}") from None

    def for_key(self, key: str) -> Macro | None:
        """The macro bound to `key`, if any (clashing keys are bound to nobody but the first)."""
        name = self.keys.get(normalize_key(key))
        return self.macros[name] if name else None

    def search(self, query: str) -> list[Macro]:
        """Macros whose name or description holds every word of `query`; name matches first."""
        words = query.lower().split()
        found = [m for m in self if all(w in f"{m.name} {m.description}".lower() for w in words)]
        return sorted(
            found,
            key=lambda m: (
                not any(m.name.startswith(w) for w in words),
                not all(w in m.name for w in words),
                m.name,
            ),
        )


def describe_exception(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f" (line {f.lineno} of {Path(f.filename).name})" for f in reversed(frames)), "")
    return f"{type(exc).__name__}: {exc}{where}"
