"""The key grammar: every binding of the workstation by id, key names, and the [keymap] check.

This module is the one source of truth for default keys (the help screen, the command palette, the
footer and the macro key checks all read it). It lives outside `tui/` and never imports Textual,
because headless code needs it too: loading macros (CLI `macros check`, the TUI) refuses a macro key
the workstation already binds, with the user's [keymap] applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskterm.config import ConfigError, Section

# Where a binding is active. ACTIONS are the ticket actions, live on both the queue and the ticket.
APP = "app"
QUEUE = "queue"
TICKET = "ticket"
ACTIONS = "actions"
COMPOSER = "composer"
ORDER = "order"
DASHBOARD = "dashboard"
KNOWLEDGE = "knowledge"
# Scopes whose focus is a text field: their keys must be chords, or they could not be typed.
TYPING = {COMPOSER: "the composer", KNOWLEDGE: "the knowledge panel's search"}

# Which scopes are active at the same time, so one key may not mean two things there.
OVERLAPS: dict[str, tuple[str, ...]] = {
    APP: (APP, QUEUE, TICKET, ACTIONS, ORDER, DASHBOARD),
    QUEUE: (APP, QUEUE, ACTIONS),
    TICKET: (APP, TICKET, ACTIONS),
    ACTIONS: (APP, QUEUE, TICKET, ACTIONS),
    COMPOSER: (COMPOSER,),
    ORDER: (APP, ORDER),
    DASHBOARD: (APP, DASHBOARD),
    KNOWLEDGE: (KNOWLEDGE,),
}


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One binding: a stable id (what users rebind), default keys, the action it runs and its help."""

    id: str
    keys: str
    action: str
    description: str
    scope: str
    # In the footer; the footer keeps to the everyday keys (every key is on the help screen).
    show: bool = True
    # Where the binding moves when a user's [keymap] takes its keys, if that key is free (never
    # a stock macro's key: the macro would lose it).
    alternative: str = ""


SPECS: tuple[KeySpec, ...] = (
    KeySpec("quit", "q", "quit", "Quit", APP),
    KeySpec("help", "question_mark", "help", "Help", APP),
    KeySpec("palette", "ctrl+p", "command_palette", "Commands", APP, show=False),
    KeySpec("down", "j,down", "cursor_down", "Next ticket", QUEUE, show=False),
    KeySpec("up", "k,up", "cursor_up", "Previous ticket", QUEUE, show=False),
    KeySpec("first", "g,home", "cursor_first", "First ticket", QUEUE, show=False),
    KeySpec("last", "G,end", "cursor_last", "Last ticket", QUEUE, show=False),
    KeySpec("page_down", "pagedown", "page_down", "Page down", QUEUE, show=False),
    KeySpec("page_up", "pageup", "page_up", "Page up", QUEUE, show=False),
    KeySpec("open", "enter", "open", "Open", QUEUE),
    KeySpec("search", "slash", "search", "Search", QUEUE),
    KeySpec("sort", "o", "cycle_sort", "Sort", QUEUE, show=False),
    KeySpec("save_view", "S", "save_view", "Save the search as a view", QUEUE, show=False),
    KeySpec("dashboard", "i", "dashboard", "Dashboard", QUEUE, show=False),
    KeySpec("take_next", "c", "take_next", "Take the next ticket nobody has", QUEUE, show=False),
    KeySpec("clear_search", "escape", "clear_search", "Clear the search", QUEUE, show=False),
    # Marks: the ticket actions (s, t, a, P, z, m, +) then act on every marked ticket at once.
    KeySpec(
        "mark", "space", "toggle_mark", "Mark the ticket (for a bulk change)", QUEUE, show=False
    ),
    KeySpec("mark_all", "asterisk", "mark_all", "Mark every ticket listed", QUEUE, show=False),
    KeySpec("clear_marks", "C", "clear_marks", "Clear the marks", QUEUE, show=False),
    *(
        KeySpec(f"view_{n}", str(n), f"view({n})", f"View {n}", QUEUE, show=False)
        for n in range(1, 10)
    ),
    KeySpec("back", "escape", "back", "Back", TICKET),
    KeySpec("next_ticket", "J", "next_ticket", "Next ticket", TICKET, show=False),
    KeySpec("previous_ticket", "K", "previous_ticket", "Previous ticket", TICKET, show=False),
    KeySpec("quotes", "x", "toggle_quotes", "Quoted text", TICKET, show=False, alternative="X"),
    KeySpec("order", "o", "order", "Order", TICKET),
    KeySpec("knowledge", "b", "knowledge", "Knowledge base", TICKET),
    KeySpec("held", "H", "held", "Held reply: send anyway, edit or drop", TICKET, show=False),
    KeySpec("message_down", "j", "message(1)", "Next message", TICKET, show=False),
    KeySpec("message_up", "k", "message(-1)", "Previous message", TICKET, show=False),
    KeySpec("split", "minus", "split", "Split the message into a ticket", TICKET, show=False),
    KeySpec(
        "earlier", "enter", "earlier", "Open another of the customer's tickets", TICKET, show=False
    ),
    KeySpec("order_back", "escape", "back", "Back", ORDER),
    KeySpec("order_refund", "f", "order_action('refund')", "Refund", ORDER),
    KeySpec("order_cancel", "c", "order_action('cancel')", "Cancel order", ORDER),
    KeySpec("order_address", "a", "order_action('address')", "Address", ORDER),
    KeySpec("order_tracking", "t", "order_action('tracking')", "Tracking", ORDER),
    KeySpec("order_note", "n", "order_action('note')", "Note", ORDER, show=False),
    KeySpec("order_tag", "g", "order_action('tag')", "Tag", ORDER, show=False),
    KeySpec("order_replacement", "p", "order_action('replacement')", "Replacement", ORDER),
    KeySpec("reply", "r", "reply", "Reply", ACTIONS),
    KeySpec("note", "n", "note", "Note", ACTIONS, alternative="N"),
    KeySpec("macros", "m", "macros", "Macros", ACTIONS, alternative="M"),
    KeySpec("escalate", "e", "escalate", "Escalate", ACTIONS, show=False),
    KeySpec("resolve", "s", "resolve", "Resolve", ACTIONS),
    KeySpec("pending", "p", "pending", "Pending", ACTIONS, show=False),
    KeySpec("snooze", "z", "snooze", "Snooze", ACTIONS, alternative="Z"),
    KeySpec("assign", "a", "assign", "Assign", ACTIONS, show=False, alternative="A"),
    KeySpec("tag", "t", "tag", "Tag", ACTIONS, show=False),
    KeySpec("priority", "P", "priority", "Priority", ACTIONS, show=False),
    KeySpec("undo", "u", "undo", "Undo", ACTIONS, show=False, alternative="U"),
    KeySpec("resend", "R", "resend", "Send failed replies again", ACTIONS, show=False),
    KeySpec(
        "merge", "plus", "merge", "Merge (the marked tickets, or into another)", ACTIONS, show=False
    ),
    KeySpec("send", "ctrl+s", "send", "Send", COMPOSER),
    KeySpec("editor", "ctrl+e", "editor", "Edit in $EDITOR", COMPOSER),
    KeySpec("insert_macro", "ctrl+t", "insert_macro", "Insert a macro's text", COMPOSER),
    KeySpec("attach", "ctrl+o", "attach", "Attach a file to the reply", COMPOSER),
    KeySpec("close_composer", "escape", "close", "Close (draft kept)", COMPOSER),
    KeySpec("dashboard_back", "escape", "back", "Back", DASHBOARD),
    KeySpec("dashboard_narrow", "f", "narrow", "Narrow (channel, agent, tag, intent)", DASHBOARD),
    KeySpec("kb_link", "ctrl+l", "insert_link", "Insert the article's link", KNOWLEDGE),
    KeySpec("kb_section", "ctrl+r", "insert_section", "Insert a section's text", KNOWLEDGE),
    KeySpec("kb_close", "escape", "close", "Close the panel", KNOWLEDGE),
)

BY_ID: dict[str, KeySpec] = {spec.id: spec for spec in SPECS}

# Names Textual gives keys that are not their character; used to show and to compare keys.
KEY_NAMES = {
    "?": "question_mark",
    "/": "slash",
    " ": "space",
    "+": "plus",
    "-": "minus",
    ".": "full_stop",
    ",": "comma",
    ":": "colon",
    ";": "semicolon",
    "!": "exclamation_mark",
    "#": "number_sign",
    "*": "asterisk",
    "=": "equals_sign",
    "esc": "escape",
    "return": "enter",
}
DISPLAY = {
    "question_mark": "?",
    "slash": "/",
    "space": "space",
    "escape": "esc",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "full_stop": ".",
    "comma": ",",
    "exclamation_mark": "!",
    "number_sign": "#",
    "asterisk": "*",
    "equals_sign": "=",
    "plus": "+",
    "minus": "-",
    "colon": ":",
    "semicolon": ";",
}
KEY_RE = re.compile(r"^((ctrl|shift)\+)*([A-Za-z0-9]|[a-z][a-z0-9_]+)$")
# Keys that type nothing, so the composer may take them before its text area.
CHORD_RE = re.compile(r"^(ctrl\+.+|f([1-9]|1[0-9]|2[0-4])|escape)$")


def normalize_key(key: str) -> str:
    """A key as Textual names it: '?' -> 'question_mark', 'Ctrl+S' -> 'ctrl+s', 'G' stays 'G'."""
    key = key.strip()
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    *mods, last = key.split("+") if len(key) > 1 else [key]
    last = KEY_NAMES.get(last, last if len(last) == 1 else last.lower())
    return "+".join([*(m.lower() for m in mods), last])


def display_key(keys: str) -> str:
    """The keys of a binding as the help screen shows them: 'question_mark' -> '?'."""
    return ", ".join(DISPLAY.get(k, k) for k in keys.split(","))


def key_list(keys: str) -> list[str]:
    return [k for k in (normalize_key(k) for k in keys.split(",")) if k]


class Keymap(dict[str, str]):
    """Binding id -> keys in force ("" for a binding left without a key), and what the user's
    [keymap] did to the defaults it displaced (id -> one line, for the help screen)."""

    def __init__(self, keys: dict[str, str], moved: dict[str, str] | None = None) -> None:
        super().__init__(keys)
        self.moved = moved or {}


def parse_keymap(raw: Any, path: Path | None = None) -> Keymap:
    """Validate [keymap] (binding id = "keys") and return the keys in force.

    Keys are comma-separated or a list; Alt chords are refused because many keyboard layouts use
    Alt to type characters; the composer takes only keys that type nothing. A user's binding wins
    over a default: the default keeps its other keys, else moves to its alternative when that is
    free, else is left without a key (the command palette still runs it). Two of the user's own
    bindings active at once may not share a key.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(path, "keymap", "must be a table, like [keymap]")
    user = {binding_id: _user_keys(binding_id, value, path) for binding_id, value in raw.items()}
    _check_clashes(user, path)
    merged = Keymap({spec.id: spec.keys for spec in SPECS})
    merged.update(user)
    for spec in SPECS:
        if spec.id not in user:
            _give_way(spec, merged, user)
    return merged


def _user_keys(binding_id: str, value: Any, path: Path | None) -> str:
    """One [keymap] entry checked and its keys as Textual names them."""
    where = f"keymap.{binding_id}"
    if binding_id not in BY_ID:
        raise ConfigError(path, where, f"is not a binding id; ids are {', '.join(sorted(BY_ID))}")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if not isinstance(value, str):
        raise ConfigError(path, where, 'must be keys as text, like "x" or "ctrl+x,f5"')
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ConfigError(path, where, "needs at least one key")
    normal = []
    for key in keys:
        key_name = normalize_key(key)
        if "alt+" in key.lower() or "meta+" in key.lower():
            raise ConfigError(path, where, f"{key}: Alt chords break on many keyboard layouts")
        if not KEY_RE.match(key_name):
            raise ConfigError(path, where, f"{key!r} is not a key name")
        typing = TYPING.get(BY_ID[binding_id].scope)
        if typing and not CHORD_RE.match(key_name):
            raise ConfigError(path, where, f"{key}: {typing} is for typing; use ctrl+KEY or f2-f12")
        normal.append(key_name)
    return ",".join(normal)


def _owner(key: str, spec: KeySpec, bindings: dict[str, str]) -> str | None:
    """The binding other than `spec` that `key` runs where `spec` is active, if any."""
    active = OVERLAPS[spec.scope]
    for other, keys in bindings.items():
        if other != spec.id and BY_ID[other].scope in active and key in key_list(keys):
            return other
    return None


def _give_way(spec: KeySpec, merged: Keymap, user: dict[str, str]) -> None:
    """Take from default `spec` the keys the user gave to other bindings, and say where it went."""
    own = key_list(spec.keys)
    lost = {key: owner for key in own if (owner := _owner(key, spec, user))}
    if not lost:
        return
    kept = [key for key in own if key not in lost]
    if not kept and spec.alternative and _owner(spec.alternative, spec, merged) is None:
        kept = [spec.alternative]
    merged[spec.id] = ",".join(kept)
    taken = "; ".join(f"{display_key(key)} is {owner}'s" for key, owner in lost.items())
    where = f"now {display_key(merged[spec.id])}" if kept else "no key (ctrl+p runs it)"
    merged.moved[spec.id] = f"{taken}: {where}"


KEYMAP = Section("keymap", lambda raw, config: parse_keymap(raw, config.path))


def _check_clashes(bindings: dict[str, str], path: Path | None) -> None:
    owners: dict[tuple[str, str], str] = {}
    for binding_id, keys in bindings.items():
        spec = BY_ID[binding_id]
        for key in key_list(keys):
            for scope in OVERLAPS[spec.scope]:
                other = owners.get((scope, key))
                if other and other != spec.id:
                    raise ConfigError(
                        path,
                        f"keymap.{spec.id}",
                        f"key {display_key(key)} is already used by {other!r}",
                    )
            owners[(spec.scope, key)] = spec.id


def reserved_keys(keymap: dict[str, str] | None = None) -> set[str]:
    """Keys a macro may not take on the queue and ticket screens."""
    merged = keymap or {spec.id: spec.keys for spec in SPECS}
    return {
        key
        for spec in SPECS
        if spec.scope in (APP, QUEUE, TICKET, ACTIONS)
        for key in key_list(merged[spec.id])
    }
