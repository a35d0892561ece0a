"""Macros: canned replies with placeholders and actions, from TOML files or Python functions.

`load_macros()` reads the stock pack and the user's folder (which adds to it and overrides it by
name) and reports problems instead of raising; `preview()` renders a macro against one ticket into
its text and its list of steps; `apply()` runs confirmed connector actions first through
`deskterm.connector_calls` (never inside a transaction), then the other steps through
`deskterm.actions` in one transaction, so a failing step leaves the ticket as it was;
`undo_macro()` reverts one application.

A TOML macro looks like::

    name = "wismo"
    description = "Where is my order: tracking link, then wait for the customer"
    key = "w"
    after = "next"            # or "stay": what the workstation shows once it is applied
    channels = ["email"]      # optional: the channels it is meant for
    reply = '''Hi {{ customer.first_name | default("there") }}, ...'''
    note = "optional internal note"
    actions = [{ status = "pending" }, { tag = "wismo" }, { snooze = "2d" }]

Action keys: status, priority, tag, untag (text or list), assign ("" unassigns), escalate (reason),
snooze (a duration like "30m", "4h", "2d", "1w", or a moment with a time zone), and connector
("shopify.refund", with `params`), which always needs a person's confirmation. Every text is a
template.

A Python macro is a function in a ``*.py`` file of the user's folder::

    from deskterm.macros import macro

    @macro(name="vip-wismo", key="V", description="...")
    def vip_wismo(ctx):
        ctx.reply(ctx.render("Hi {{ customer.first_name }}, ..."))
        ctx.tag("vip")

The function only records steps on its context; they run together after it returns.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import re
import sys
import tomllib
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from deskterm import actions, connector_calls
from deskterm.actions import ActionError, Done
from deskterm.config import Config, ConfigError, config_dir, load_config
from deskterm.content import sanitize
from deskterm.domain import Priority, Status, from_iso, to_iso, utcnow
from deskterm.keys import KEY_RE, display_key, normalize_key, parse_keymap, reserved_keys
from deskterm.macros.templates import (
    Record,
    TemplateProblem,
    compile_template,
    render,
    unknown_placeholders,
)
from deskterm.store import Store

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
# Keys Textual or the terminal take before any screen sees them (quit, focus, and the control
# chords a terminal sends as the same byte as enter, tab, backspace and escape).
TERMINAL_KEYS = frozenset(
    {
        "ctrl+c",
        "ctrl+q",
        "tab",
        "shift+tab",
        "ctrl+m",
        "ctrl+i",
        "ctrl+h",
        "ctrl+left_square_bracket",
    }
)
DURATION_RE = re.compile(r"^(?:\d+[mhdw])+$")
DURATION_PART_RE = re.compile(r"(\d+)([mhdw])")
DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
AFTER_CHOICES = ("next", "stay")
ACTION_KINDS = ("status", "priority", "tag", "untag", "assign", "escalate", "snooze", "connector")
TOML_KEYS = frozenset(
    {"name", "description", "key", "after", "channels", "reply", "note", "actions"}
)
MAX_ORDERS = 20


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
            "origin": self.origin,
            "source": self.source,
            "reply": self.reply,
            "note": self.note,
            "actions": [
                {s.kind: _plain(s.value), **({"params": _plain(s.params)} if s.params else {})}
                for s in self.steps
            ],
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the macros: an error stops `macro check`, a warning does not."""

    source: str
    message: str
    error: bool = True

    def __str__(self) -> str:
        return f"{'error' if self.error else 'warning'}: {self.source}: {self.message}"


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


# --- loading ---------------------------------------------------------------------------------


def user_macros_dir() -> Path:
    """The user's own macros: $DESKTERM_MACROS, else "macros" in the deskterm config folder."""
    env = os.environ.get("DESKTERM_MACROS")
    return Path(env).expanduser() if env else config_dir() / "macros"


def parse_duration(text: str) -> timedelta:
    """A duration written like "90m", "4h", "2d", "1w" or "1d12h"."""
    text = text.strip().lower()
    if not DURATION_RE.match(text):
        raise MacroError(f"{text!r} is not a duration like 30m, 4h, 2d or 1w")
    total = timedelta()
    for amount, unit in DURATION_PART_RE.findall(text):
        total += timedelta(**{DURATION_UNITS[unit]: int(amount)})
    if not total:
        raise MacroError(f"duration {text!r} is zero")
    return total


def snooze_until(value: Any, now: datetime) -> datetime:
    """When a snooze step wakes the ticket: a duration from `now`, or a moment with a time zone."""
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and DURATION_RE.match(value.strip().lower()):
        return now + parse_duration(value)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise MacroError(
                f"snooze {value!r} is neither a duration (4h, 2d) nor a moment "
                "(2026-12-01T09:00:00Z)"
            ) from None
    else:
        raise MacroError(f"snooze needs a duration or a moment, not {type(value).__name__}")
    if moment.tzinfo is None:
        raise MacroError(f"snooze until {value} needs a time zone, like 2026-12-01T09:00:00Z")
    return from_iso(to_iso(moment))


def _templates_of(spec: StepSpec) -> Iterator[str]:
    if isinstance(spec.value, str):
        yield spec.value
    elif isinstance(spec.value, list):
        yield from (v for v in spec.value if isinstance(v, str))
    yield from (v for v in spec.params.values() if isinstance(v, str))


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _check_static_value(spec: StepSpec) -> None:
    """Values written without template syntax are checked at load time, not when applied."""
    value = spec.value
    if spec.kind in ("status", "priority", "escalate", "connector") and not isinstance(value, str):
        raise MacroError(f"{spec.kind} must be text, not {type(value).__name__}")
    if spec.kind in ("tag", "untag"):
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) for v in values):
            raise MacroError(f"{spec.kind} must be text or a list of texts")
        for tag in values:
            if not _is_template(tag) and not actions.TAG_RE.match(tag.strip().lower()):
                raise MacroError(f"tag {tag!r} must be letters, digits and - . / : _")
        return
    if spec.kind == "assign" and not isinstance(value, str):
        raise MacroError('assign must be a name, or "" to unassign')
    if spec.kind == "snooze":
        if not isinstance(value, str | datetime):
            raise MacroError('snooze must be a duration like "2d" or a moment with a time zone')
        if isinstance(value, datetime) or not _is_template(value):
            snooze_until(value, utcnow())
        return
    if _is_template(value):
        return
    if spec.kind == "status" and value not in {s.value for s in Status}:
        raise MacroError(f"unknown status {value!r}; one of: {', '.join(s.value for s in Status)}")
    if spec.kind == "priority" and value not in {p.value for p in Priority}:
        raise MacroError(
            f"unknown priority {value!r}; one of: {', '.join(p.value for p in Priority)}"
        )
    if spec.kind == "escalate" and not value.strip():
        raise MacroError("escalate needs a reason")
    if spec.kind == "connector" and not re.match(r"^[\w-]+\.[\w-]+$", value):
        raise MacroError(f"connector action {value!r} must look like 'shopify.refund'")


def _parse_action(raw: Any, index: int) -> StepSpec:
    where = f"actions[{index}]"
    if not isinstance(raw, dict):
        raise MacroError(f'{where} must be a table like {{ status = "pending" }}')
    kinds = [k for k in raw if k in ACTION_KINDS]
    extra = sorted(set(raw) - set(ACTION_KINDS) - {"params"})
    if extra:
        close = difflib.get_close_matches(extra[0], ACTION_KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MacroError(
            f"{where}: unknown action {extra[0]!r}{hint}; known: {', '.join(ACTION_KINDS)}"
        )
    if len(kinds) != 1:
        raise MacroError(f"{where} must name exactly one action, not {len(kinds)}")
    kind = kinds[0]
    params = raw.get("params", {})
    if "params" in raw and kind != "connector":
        raise MacroError(f"{where}: only connector actions take params")
    if not isinstance(params, dict):
        raise MacroError(f"{where}: params must be a table")
    spec = StepSpec(kind, raw[kind], params)
    try:
        _check_static_value(spec)
    except MacroError as exc:
        raise MacroError(f"{where}: {exc}") from None
    return spec


def _text(data: dict, key: str, default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise MacroError(f"{key} must be text, not {type(value).__name__}")
    return value


def _check_common(name: str, key: str | None, after: str, channels: Any) -> tuple[str, ...]:
    if not NAME_RE.match(name):
        raise MacroError(f"name {name!r} must be lower-case letters, digits, - and _ (at most 48)")
    if key is not None and not KEY_RE.match(key):
        raise MacroError(f"key {key!r} is not a key name like 'w', 'D', 'f5' or 'ctrl+w'")
    if after not in AFTER_CHOICES:
        raise MacroError(f"after must be one of {', '.join(AFTER_CHOICES)}, not {after!r}")
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        raise MacroError("channels must be a list of channel names")
    return tuple(channels)


def parse_macro(text: str, *, source: str = "", origin: str = "user", stem: str = "") -> Macro:
    """One TOML macro from its text, checked: templates compile and use known placeholders."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MacroError(f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - TOML_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(TOML_KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MacroError(f"unknown field {unknown[0]!r}{hint}")
    name = _text(data, "name", stem) or ""
    key = _text(data, "key")
    key = normalize_key(key) if key else None
    after = _text(data, "after", "next") or "next"
    channels = _check_common(name, key, after, data.get("channels", []))
    reply, note = _text(data, "reply"), _text(data, "note")
    raw_actions = data.get("actions", [])
    if not isinstance(raw_actions, list):
        raise MacroError("actions must be a list of tables")
    steps = tuple(_parse_action(raw, i) for i, raw in enumerate(raw_actions))
    if not (reply or note or steps):
        raise MacroError("a macro needs a reply, a note or at least one action")
    for label, template in (("reply", reply), ("note", note)):
        if template is not None and not template.strip():
            raise MacroError(f"{label} is empty")
    templates = [("reply", reply), ("note", note)] + [
        (f"actions[{i}]", t) for i, s in enumerate(steps) for t in _templates_of(s)
    ]
    for label, template in templates:
        if template is None:
            continue
        try:
            compile_template(template)
        except TemplateProblem as exc:
            raise MacroError(f"{label}: {exc}") from None
        problems = unknown_placeholders(template)
        if problems:
            raise MacroError(f"{label}: {problems[0]}")
    return Macro(
        name=name,
        description=_text(data, "description", "") or "",
        key=key,
        after=after,
        channels=channels,
        reply=reply,
        note=note,
        steps=steps,
        origin=origin,
        source=source,
    )


def macro(
    *,
    name: str,
    key: str | None = None,
    description: str = "",
    after: str = "next",
    channels: tuple[str, ...] = (),
) -> Callable[[Callable[[MacroContext], Any]], Callable[[MacroContext], Any]]:
    """Register a Python function as a macro; it receives a MacroContext and records steps on it."""
    normal_key = normalize_key(key) if key else None
    checked = _check_common(name, normal_key, after, channels)

    def register(function: Callable[[MacroContext], Any]) -> Callable[[MacroContext], Any]:
        function.__deskterm_macro__ = Macro(  # type: ignore[attr-defined]
            name=name,
            description=description or (function.__doc__ or "").strip().split("\n")[0],
            key=normal_key,
            after=after,
            channels=checked,
            function=function,
            origin="user",
        )
        return function

    return register


def _stock_files() -> list[tuple[str, str, str]]:
    folder = resources.files("deskterm.stock_macros")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"), f"stock:{entry.name}")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def _load_python(path: Path, problems: list[Problem]) -> list[Macro]:
    module_name = f"deskterm_user_macros.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        problems.append(Problem(str(path), "cannot be loaded as Python"))
        return []
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    # A user's file must never take the workstation down, whatever it raises while loading.
    except (Exception, SystemExit) as exc:
        problems.append(Problem(str(path), f"cannot be loaded: {_describe_exception(exc)}"))
        return []
    finally:
        sys.modules.pop(module_name, None)
    found = []
    for value in vars(module).values():
        registered = getattr(value, "__deskterm_macro__", None)
        if isinstance(registered, Macro):
            found.append(replace(registered, source=str(path), origin="user"))
    if not found:
        problems.append(Problem(str(path), "defines no @macro functions", error=False))
    return found


def _describe_exception(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f" (line {f.lineno} of {Path(f.filename).name})" for f in reversed(frames)), "")
    return f"{type(exc).__name__}: {exc}{where}"


def app_keys(config: Config | None = None) -> set[str]:
    """The keys the workstation keeps for itself, with the user's [keymap] applied."""
    keymap = parse_keymap(config.section("keymap"), config.path) if config else None
    return reserved_keys(keymap) | TERMINAL_KEYS


def _bind_keys(result: MacroSet, reserved: set[str]) -> None:
    # The user's macros claim keys first, then by name, so the outcome never depends on disk order.
    ordered = sorted(result.macros.values(), key=lambda m: (m.origin != "user", m.name))
    for item in ordered:
        if item.key is None:
            continue
        if item.key in reserved:
            result.problems.append(
                Problem(
                    item.source,
                    f"macro {item.name}: key {display_key(item.key)!r} is one of the app's own "
                    "keys; pick another (function keys f2-f12 are free)",
                )
            )
        elif item.key in result.keys:
            result.problems.append(
                Problem(
                    item.source,
                    f"macro {item.name}: key {display_key(item.key)!r} is already bound to macro "
                    f"{result.keys[item.key]}; {item.name} is left without a key",
                )
            )
        else:
            result.keys[item.key] = item.name


def _load_user(folder: Path, problems: list[Problem]) -> dict[str, Macro]:
    """The macros of the user's folder, *.toml and *.py, in name order; problems are collected."""
    try:
        paths = sorted(folder.iterdir())
    except OSError as exc:
        problems.append(Problem(str(folder), f"cannot be read: {exc}"))
        return {}
    user: dict[str, Macro] = {}
    for path in paths:
        if path.suffix == ".toml":
            try:
                text = path.read_text(encoding="utf-8")
                loaded = [parse_macro(text, source=str(path), stem=path.stem)]
            except (MacroError, OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(str(path), str(exc)))
                continue
        elif path.suffix == ".py":
            loaded = _load_python(path, problems)
        else:
            continue
        for item in loaded:
            if item.name in user:
                problems.append(
                    Problem(
                        item.source,
                        f"macro {item.name} is also defined in {user[item.name].source}; "
                        "this one is ignored",
                    )
                )
            else:
                user[item.name] = item
    return user


def load_macros(
    user_dir: Path | None = None, *, stock: bool = True, reserved: set[str] | None = None
) -> MacroSet:
    """The stock pack plus the user's folder (theirs win by name); problems are collected, not raised.

    `reserved` are the keys the app binds (default: `app_keys()` of the default keymap); a macro
    asking for one of them is reported and left without a key.
    """
    result = MacroSet()
    if stock:
        for filename, text, source in _stock_files():
            try:
                item = parse_macro(text, source=source, origin="stock", stem=filename[:-5])
            except MacroError as exc:
                result.problems.append(Problem(source, str(exc)))
                continue
            result.macros[item.name] = item
    folder = user_dir if user_dir is not None else user_macros_dir()
    if folder.is_dir():
        result.macros.update(_load_user(folder, result.problems))
    elif user_dir is not None:
        result.problems.append(Problem(str(folder), "macro folder does not exist"))
    _bind_keys(result, app_keys() if reserved is None else reserved)
    return result


def check_connectors(macro_set: MacroSet, installed: set[str]) -> list[Problem]:
    """Warnings for connector actions whose connector is not installed on this machine."""
    problems = []
    for item in macro_set:
        for spec in item.steps:
            if spec.kind != "connector" or _is_template(spec.value):
                continue
            connector = spec.value.partition(".")[0]
            if connector not in installed:
                problems.append(
                    Problem(
                        item.source,
                        f"macro {item.name}: connector {connector!r} is not installed "
                        f"(installed: {', '.join(sorted(installed)) or 'none'})",
                        error=False,
                    )
                )
    return problems


# --- placeholders ----------------------------------------------------------------------------


def _rows(store: Store, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _clean(value: Any, path: str) -> Any:
    """Untrusted values made safe to put in a reply; empties dropped so they count as missing."""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict):
        return _record(path, value)
    if isinstance(value, list):
        return [_clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _record(path: str, values: Mapping[str, Any]) -> Record:
    return Record(
        path,
        {
            key: _clean(value, f"{path}.{key}")
            for key, value in values.items()
            if value is not None and value != ""
        },
    )


def _order_record(path: str, row: dict[str, Any]) -> Record:
    try:
        items = json.loads(row["items"] or "[]")
    except json.JSONDecodeError:
        items = []
    return _record(
        path,
        {
            **{k: row[k] for k in ("number", "status", "fulfillment_status", "carrier")},
            **{k: row[k] for k in ("tracking_number", "tracking_url", "total", "currency")},
            "items": items if isinstance(items, list) else [],
            "placed_at": from_iso(row["placed_at"]),
        },
    )


def _first_name(name: str) -> str | None:
    # An address or handle in the name field is not a name to greet anyone by.
    first = name.strip().split()[0] if name.strip() else ""
    return first if first and "@" not in first else None


ORDER_COLUMNS = (
    "id, number, status, fulfillment_status, carrier, tracking_number, tracking_url, total,"
    " currency, items, placed_at"
)


def placeholders(
    store: Store, ticket_id: int, *, agent: str | None, config: Config
) -> dict[str, Any]:
    """The values templates see for one ticket; placeholders without a value are left out."""
    found = _rows(
        store,
        "SELECT id, customer_id, subject, status, priority, channel, assignee, order_id,"
        " merged_into FROM tickets WHERE id = ?",
        (ticket_id,),
    )
    if not found:
        raise MacroError(f"there is no ticket #{ticket_id}")
    ticket = found[0]
    if ticket["merged_into"] is not None:
        raise MacroError(f"ticket #{ticket_id} was merged into #{ticket['merged_into']}")
    tags = [
        r[0]
        for r in store.conn.execute(
            "SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag", (ticket_id,)
        )
    ]
    customer = _rows(store, "SELECT name FROM customers WHERE id = ?", (ticket["customer_id"],))
    name = customer[0]["name"] if customer else ""
    identities = _rows(
        store,
        "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY id",
        (ticket["customer_id"],),
    )
    email = next((i["value"] for i in identities if i["kind"] == "email"), None)
    orders = _rows(
        store,
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE customer_id = ?"
        " ORDER BY placed_at DESC, id DESC LIMIT ?",
        (ticket["customer_id"], MAX_ORDERS),
    )
    linked = (
        _rows(store, f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?", (ticket["order_id"],))
        if ticket["order_id"] is not None
        else []
    )
    order = (linked or orders or [None])[0]
    values: dict[str, Any] = {
        "ticket": _record(
            "ticket",
            {
                **{k: ticket[k] for k in ("id", "subject", "status", "priority", "channel")},
                "assignee": ticket["assignee"],
                "tags": tags,
            },
        ),
        "customer": _record(
            "customer",
            {
                "name": name,
                "first_name": _first_name(sanitize(name)),
                "email": email,
                "identities": identities,
            },
        ),
        "orders": [_order_record(f"orders[{i}]", row) for i, row in enumerate(orders)],
        "agent": _record("agent", {"name": agent if agent is not None else config.agent}),
        "shop": _record(
            "shop",
            {"name": config.shop.name, "url": config.shop.url, "signature": config.shop.signature},
        ),
    }
    if order is not None:
        values["order"] = _order_record("order", order)
    return values


# --- Python macros ---------------------------------------------------------------------------


class MacroContext:
    """What a Python macro gets: the ticket's placeholders, and the actions, recorded as steps."""

    def __init__(self, values: Mapping[str, Any], now: datetime) -> None:
        self.values = values
        self.now = now
        self.steps: list[Step] = []
        self.ticket: Record = values["ticket"]
        self.customer: Record = values["customer"]
        self.order: Record | None = values.get("order")
        self.orders: list[Record] = values["orders"]
        self.agent: Record = values["agent"]
        self.shop: Record = values["shop"]

    def render(self, template: str) -> str:
        """Render a template with this ticket's placeholders, exactly as a TOML macro would."""
        return render(template, self.values)

    def reply(self, text: str) -> None:
        self.steps.append(Step("reply", _non_empty(text, "reply")))

    def note(self, text: str) -> None:
        self.steps.append(Step("note", _non_empty(text, "note")))

    def set_status(self, status: Status | str) -> None:
        self.steps.append(_resolve("status", str(status), {}, self.now))

    def set_priority(self, priority: Priority | str) -> None:
        self.steps.append(_resolve("priority", str(priority), {}, self.now))

    def tag(self, *names: str) -> None:
        self.steps.extend(_resolve("tag", n, {}, self.now) for n in names)

    def untag(self, *names: str) -> None:
        self.steps.extend(_resolve("untag", n, {}, self.now) for n in names)

    def assign(self, name: str | None) -> None:
        self.steps.append(_resolve("assign", name or "", {}, self.now))

    def escalate(self, reason: str) -> None:
        self.steps.append(_resolve("escalate", reason, {}, self.now))

    def snooze(self, until: timedelta | datetime | str) -> None:
        """Snooze for a duration (timedelta or "2d") or until a moment with a time zone."""
        self.steps.append(_resolve("snooze", until, {}, self.now))

    def connector(self, name: str, **params: Any) -> None:
        """A connector action such as "shopify.refund"; applying it needs a person's confirmation."""
        self.steps.append(_resolve("connector", name, params, self.now))


def _non_empty(text: str, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise MacroError(f"the {what} is empty")
    return text.strip()


# --- preview ---------------------------------------------------------------------------------


def _resolve(kind: str, value: Any, params: Mapping[str, Any], now: datetime) -> Step:
    """A step with its final value, checked the way the action will check it."""
    if kind == "status" and value not in {s.value for s in Status}:
        raise MacroError(f"unknown status {value!r}")
    if kind == "priority" and value not in {p.value for p in Priority}:
        raise MacroError(f"unknown priority {value!r}")
    if kind in ("tag", "untag"):
        value = value.strip().lower()
        if not actions.TAG_RE.match(value):
            raise MacroError(f"tag {value!r} must be letters, digits and - . / : _")
    if kind == "assign":
        value = value.strip() or None
    if kind == "escalate":
        value = _non_empty(value, "escalation reason")
    if kind == "snooze":
        value = snooze_until(value, now)
    if kind == "connector" and not re.match(r"^[\w-]+\.[\w-]+$", str(value)):
        raise MacroError(f"connector action {value!r} must look like 'shopify.refund'")
    return Step(kind, value, dict(params))


def _render_field(item: Macro, label: str, template: str, values: Mapping[str, Any]) -> str:
    try:
        return render(template, values)
    except TemplateProblem as exc:
        raise MacroError(f"macro {item.name} ({label}): {exc}") from None


def _plan_toml(item: Macro, values: Mapping[str, Any], now: datetime) -> list[Step]:
    steps = []
    for kind in ("reply", "note"):
        template = getattr(item, kind)
        if template is not None:
            text = _render_field(item, kind, template, values)
            steps.append(Step(kind, _non_empty(text, f"rendered {kind}")))
    for index, spec in enumerate(item.steps):
        label = f"actions[{index}] {spec.kind}"
        raw = spec.value if isinstance(spec.value, list) else [spec.value]
        params = {
            k: _render_field(item, f"{label} params.{k}", v, values) if isinstance(v, str) else v
            for k, v in spec.params.items()
        }
        for value in raw:
            rendered = (
                _render_field(item, label, value, values) if isinstance(value, str) else value
            )
            try:
                steps.append(_resolve(spec.kind, rendered, params, now))
            except MacroError as exc:
                raise MacroError(f"macro {item.name} ({label}): {exc}") from None
    return steps


def _plan_python(item: Macro, values: Mapping[str, Any], now: datetime) -> list[Step]:
    assert item.function is not None
    context = MacroContext(values, now)
    try:
        item.function(context)
    except MacroError as exc:
        raise MacroError(f"macro {item.name}: {exc}") from None
    except TemplateProblem as exc:
        raise MacroError(f"macro {item.name}: {exc}") from None
    # Whatever the user's code raises is reported, never allowed to take the workstation down.
    except Exception as exc:
        raise MacroError(f"macro {item.name} failed: {_describe_exception(exc)}") from None
    if not context.steps:
        raise MacroError(f"macro {item.name} did nothing for ticket #{values['ticket'].id}")
    return context.steps


def mark_noops(steps: list[Step], state: Mapping[str, Any]) -> list[Step]:
    """Steps that would change nothing on a ticket in `state` are kept but marked skipped.

    `state` holds status, priority, assignee and tags; it is followed through the steps, so a
    reply that opens a new ticket is seen by a later status step.
    """
    status, priority = state["status"], state["priority"]
    assignee, tags = state["assignee"], set(state["tags"])
    marked = []
    for step in steps:
        skip = ""
        if step.kind == "reply" and status == Status.NEW:
            status = Status.OPEN.value
        elif step.kind == "status":
            skip, status = (f"already {status}" if step.value == status else ""), step.value
        elif step.kind == "priority":
            skip, priority = (f"already {priority}" if step.value == priority else ""), step.value
        elif step.kind == "assign":
            skip = "" if step.value != assignee else f"already {assignee or 'unassigned'}"
            assignee = step.value
        elif step.kind == "tag":
            skip = f"already tagged {step.value}" if step.value in tags else ""
            tags.add(step.value)
        elif step.kind == "untag":
            skip = f"not tagged {step.value}" if step.value not in tags else ""
            tags.discard(step.value)
        marked.append(Step(step.kind, step.value, step.params, skip))
    return marked


@dataclass(frozen=True, slots=True)
class Preview:
    """What applying a macro to one ticket would do: the rendered text and every step."""

    macro: Macro
    ticket_id: int
    agent: str
    text: str
    steps: tuple[Step, ...]

    @property
    def needs_confirmation(self) -> bool:
        return any(s.needs_confirmation for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "macro": self.macro.name,
            "ticket": self.ticket_id,
            "agent": self.agent,
            "text": self.text,
            "after": self.macro.after,
            "needs_confirmation": self.needs_confirmation,
            "steps": [s.to_dict() for s in self.steps],
        }


def _config(config: Config | None) -> Config:
    if config is not None:
        return config
    try:
        return load_config()
    except ConfigError as exc:
        raise MacroError(str(exc)) from None


def _plan(
    item: Macro, store: Store, ticket_id: int, agent: str | None, config: Config, now: datetime
) -> tuple[str, list[Step]]:
    values = placeholders(store, ticket_id, agent=agent, config=config)
    ticket = values["ticket"]
    if item.channels and ticket.channel not in item.channels:
        raise MacroError(
            f"macro {item.name} is for {', '.join(item.channels)} tickets; "
            f"ticket #{ticket_id} is {ticket.channel}"
        )
    planner = _plan_python if item.function else _plan_toml
    steps = planner(item, values, now)
    state = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.get("assignee"),
        "tags": ticket.tags,
    }
    return values["agent"].name, mark_noops(steps, state)


def preview(
    item: Macro,
    store: Store,
    ticket_id: int,
    agent: str | None = None,
    *,
    config: Config | None = None,
    now: datetime | None = None,
) -> Preview:
    """Render `item` for one ticket without changing anything; MacroError names what is missing."""
    agent_name, steps = _plan(item, store, ticket_id, agent, _config(config), now or utcnow())
    text = next((s.value for s in steps if s.kind == "reply"), None)
    text = text or next((s.value for s in steps if s.kind == "note"), "")
    return Preview(item, ticket_id, agent_name, text, tuple(steps))


# --- apply ---------------------------------------------------------------------------------

# Steps that are one action on the ticket, taking the step's value as is.
TICKET_STEPS = {
    "reply": actions.reply,
    "note": actions.note,
    "status": actions.set_status,
    "priority": actions.set_priority,
    "tag": actions.tag,
    "untag": actions.untag,
    "assign": actions.assign,
    "snooze": actions.snooze,
}


def _execute(
    store: Store, ticket_id: int, step: Step, actor: str, at: datetime, levels: tuple[str, ...]
) -> Done:
    if step.kind == "escalate":
        return actions.escalate(store, ticket_id, step.value, actor=actor, levels=levels, at=at)
    return TICKET_STEPS[step.kind](store, ticket_id, step.value, actor=actor, at=at)


def _run_connector(
    store: Store, item: Macro, ticket_id: int, step: Step, agent: str, at: datetime
) -> list[Done]:
    """Run one confirmed connector step outside any transaction; MacroError unless it is done."""
    try:
        call = connector_calls.run(
            store,
            ticket_id,
            step.value,
            step.params,
            confirmed_by=f"agent:{agent}",
            actor=item.actor,
            at=at,
        )
    except connector_calls.CallError as exc:
        raise MacroError(f"macro {item.name}: {exc}; nothing was changed") from None
    if call.status != "done":
        raise MacroError(
            f"{step.value} {call.status}: {call.outcome}; "
            f"the other steps of macro {item.name} were not applied"
        )
    return [Done(event_id) for event_id in connector_calls.event_ids(store, call)]


def apply(
    item: Macro,
    store: Store,
    ticket_id: int,
    agent: str | None = None,
    *,
    confirm: bool = False,
    config: Config | None = None,
    at: datetime | None = None,
) -> list[Done]:
    """Apply `item` to one ticket.

    Connector actions need `confirm=True` (a person said yes) and run first, each through
    deskterm.connector_calls: never inside a transaction, each step in the ticket's timeline.
    If one does not end done, the macro stops: a reply saying "refunded" must not follow a failed
    refund. The other steps then run in one transaction, all or nothing, planned again inside it
    so they act on the ticket as it is now.
    """
    config = _config(config)
    at = at or utcnow()
    agent_name, steps = _plan(item, store, ticket_id, agent, config, at)
    pending = [s for s in steps if s.needs_confirmation]
    if pending and not confirm:
        raise MacroError(
            f"macro {item.name} runs {', '.join(s.value for s in pending)}, which must be "
            "confirmed; nothing was changed"
        )
    done: list[Done] = []
    for step in pending:
        done.extend(_run_connector(store, item, ticket_id, step, agent_name, at))
    with store.tx():
        _, steps = _plan(item, store, ticket_id, agent, config, at)
        ticket_steps = [s for s in steps if s.kind != "connector"]
        for number, step in enumerate(ticket_steps, start=1):
            if step.skip:
                continue
            try:
                done.append(
                    _execute(store, ticket_id, step, item.actor, at, config.escalation_levels)
                )
            except ActionError as exc:
                raise MacroError(
                    f"macro {item.name} stopped at step {number} ({step.describe()}): {exc}; "
                    "nothing was changed"
                ) from None
    return done


def applied_events(store: Store, done: list[Done]) -> list[dict[str, Any]]:
    """The events an application wrote, with the outbox row of each reply, for display."""
    rows = []
    for item in done:
        event = _rows(
            store,
            "SELECT id, ticket_id, at, actor, kind, data FROM events WHERE id = ?",
            (item.event_id,),
        )[0]
        event["data"] = json.loads(event["data"])
        if item.outbox_id is not None:
            event["outbox"] = _rows(
                store, "SELECT id, status, account FROM outbox WHERE id = ?", (item.outbox_id,)
            )[0]
        rows.append(event)
    return rows


# --- undo ------------------------------------------------------------------------------------


def last_application(store: Store, name: str) -> list[int]:
    """The event ids of macro `name`'s most recent application that is not undone, oldest first.

    One application's events share the actor, the ticket and the moment. Other actors' events
    (an SLA breach recorded on the way) may sit between them and are not part of it.
    """
    ids: list[int] = []
    head: tuple[int, str] | None = None
    history = store.conn.execute(
        "SELECT id, ticket_id, at, kind, undone_by FROM events WHERE actor = ? ORDER BY id DESC",
        (f"macro:{name}",),
    )
    for event_id, ticket_id, at, kind, undone_by in history:
        if kind == "undo" or undone_by is not None:
            continue
        if head not in (None, (ticket_id, at)):
            break
        head = (ticket_id, at)
        ids.append(event_id)
    return sorted(ids)


def undo_macro(store: Store, name: str, *, at: datetime | None = None) -> list[Done]:
    """Revert macro `name`'s most recent application on its ticket, all of it or none of it.

    A reply that has started to leave cannot be taken back, and neither can a connector action;
    either makes the whole undo refuse.
    """
    actor = f"macro:{name}"
    with store.tx():
        ids = last_application(store, name)
        if not ids:
            raise MacroError(f"macro {name} has nothing to undo")
        started = _rows(
            store,
            "SELECT json_extract(data, '$.action') AS action FROM events"
            f" WHERE id IN ({','.join('?' * len(ids))}) AND kind = 'connector_started'",
            tuple(ids),
        )
        if started:
            raise MacroError(
                f"macro {name} ran a connector action ({started[0]['action']}); "
                "that cannot be undone here, so nothing was undone"
            )
        try:
            return [actions.undo(store, actor=actor, at=at) for _ in ids]
        except ActionError as exc:
            raise MacroError(f"cannot undo macro {name}: {exc}; nothing was undone") from None
