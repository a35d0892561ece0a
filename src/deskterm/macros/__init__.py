"""Macros: canned replies with placeholders and actions, from TOML files or Python functions.

The package by job: `model` (what a macro, a step and a set of macros are), `loading` (TOML and
Python files, the stock pack and the user's folder, key binding), `steps` (step values resolved,
snooze moments, the context Python macros record steps on), `placeholders` (what templates see),
`templates` (the sandbox), `plan` (preview, apply, undo). This module gathers the public names.

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

from deskterm.macros.loading import (
    app_keys,
    check_connectors,
    check_reviews,
    load_macros,
    macro,
    parse_macro,
)
from deskterm.macros.model import Macro, MacroError, MacroSet, Problem
from deskterm.macros.plan import Preview, applied_events, apply, preview, undo_macro
from deskterm.macros.steps import MacroContext, snooze_until

__all__ = [
    "Macro",
    "MacroContext",
    "MacroError",
    "MacroSet",
    "Preview",
    "Problem",
    "app_keys",
    "applied_events",
    "apply",
    "check_connectors",
    "check_reviews",
    "load_macros",
    "macro",
    "parse_macro",
    "preview",
    "snooze_until",
    "undo_macro",
]
