"""Loading macros: TOML files and Python modules from the stock pack and the user's folder,
checked, with their keys bound against the workstation's own; problems are collected, not raised."""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from deskterm import actions
from deskterm.config import Config, config_dir
from deskterm.domain import REVIEW_EVERY, Priority, Status, local_zone, utcnow
from deskterm.keys import KEY_RE, KEYMAP, display_key, normalize_key, reserved_keys
from deskterm.macros.model import (
    ACTION_KINDS,
    AFTER_CHOICES,
    NAME_RE,
    SOP_RE,
    Macro,
    MacroError,
    MacroSet,
    Problem,
    StepSpec,
    describe_exception,
)
from deskterm.macros.steps import MacroContext, snooze_until
from deskterm.macros.templates import TemplateProblem, compile_template, unknown_placeholders

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
TOML_KEYS = frozenset(
    {
        "name",
        "description",
        "key",
        "after",
        "channels",
        "reply",
        "note",
        "actions",
        "sop",
        "reviewed",
    }
)


def user_macros_dir() -> Path:
    """The user's own macros: $DESKTERM_MACROS, else "macros" in the deskterm config folder."""
    env = os.environ.get("DESKTERM_MACROS")
    return Path(env).expanduser() if env else config_dir() / "macros"


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
            snooze_until(value, utcnow(), local_zone())
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


def _reviewed(data: dict) -> date | None:
    value = data.get("reviewed")
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    raise MacroError(f"reviewed must be a date like 2026-10-01, not {value!r}")


def _check_common(
    name: str, key: str | None, after: str, channels: Any, sop: str | None = None
) -> tuple[str, ...]:
    if not NAME_RE.match(name):
        raise MacroError(f"name {name!r} must be lower-case letters, digits, - and _ (at most 48)")
    if key is not None and not KEY_RE.match(key):
        raise MacroError(f"key {key!r} is not a key name like 'w', 'D', 'f5' or 'ctrl+w'")
    if after not in AFTER_CHOICES:
        raise MacroError(f"after must be one of {', '.join(AFTER_CHOICES)}, not {after!r}")
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        raise MacroError("channels must be a list of channel names")
    if sop is not None and not SOP_RE.match(sop):
        raise MacroError(f"sop {sop!r} must name an SOP by its file name, like 'sop-wismo'")
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
    sop = _text(data, "sop")
    channels = _check_common(name, key, after, data.get("channels", []), sop)
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
        sop=sop,
        reviewed=_reviewed(data),
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
    sop: str | None = None,
) -> Callable[[Callable[[MacroContext], Any]], Callable[[MacroContext], Any]]:
    """Register a Python function as a macro; it receives a MacroContext and records steps on it."""
    normal_key = normalize_key(key) if key else None
    checked = _check_common(name, normal_key, after, channels, sop)

    def register(function: Callable[[MacroContext], Any]) -> Callable[[MacroContext], Any]:
        # A function object takes attributes; the Callable type does not say so.
        function.__deskterm_macro__ = Macro(  # type: ignore[attr-defined]
            name=name,
            description=description or (function.__doc__ or "").strip().split("\n")[0],
            key=normal_key,
            after=after,
            channels=checked,
            function=function,
            sop=sop,
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
        problems.append(Problem(str(path), f"cannot be loaded: {describe_exception(exc)}"))
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


def app_keys(config: Config | None = None) -> set[str]:
    """The keys the workstation keeps for itself, with the user's [keymap] applied."""
    keymap = config.get(KEYMAP) if config else None
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


def check_reviews(macro_set: MacroSet, today: date) -> list[Problem]:
    """Warnings for the user's TOML macros not reviewed in a quarter (or never): templates go stale
    as policies change. The stock pack is reviewed with deskterm's releases."""
    problems = []
    for item in macro_set:
        if item.origin != "user" or item.kind != "toml":
            continue
        if item.reviewed is None:
            text = "has no reviewed date; add reviewed = YYYY-MM-DD once you have read it through"
        elif today - item.reviewed > REVIEW_EVERY:
            text = f"not reviewed for {(today - item.reviewed).days} days (last {item.reviewed})"
        else:
            continue
        problems.append(Problem(item.source, f"macro {item.name}: {text}", error=False))
    return problems
