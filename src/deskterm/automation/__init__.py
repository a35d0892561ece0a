"""Automation: rules as TOML files that route, tag, answer and follow up on tickets by themselves.

The package by job: `model` (what a rule is), `loading` (the files, checked: a rule that would
fire again on what it did itself is refused), `conditions` (pure matching, with each condition's
value for explanations), `facts` (a ticket as conditions see it), `acting` (each action through
deskterm.actions with the rule as actor; money-moving connector actions only proposed;
auto-replies with RFC 3834 loop guards and caps), `engine` (event rules inside the triggering
write's transaction, the time pass, explanations).

A rule looks like::

    name = "vip-route"
    when = ["ticket_created"]            # ticket_created, customer_message, reply_sent,
                                          # ticket_updated, order_updated, schedule
    order = 10                            # lower runs first
    then = [{ priority = "high" }, { tag = "vip" }]
    if.all = [{ field = "order_total", gte = 500 }]
    if.any = [{ field = "channel", is = "email" }, { field = "channel", is = "shopify" }]
"""

from deskterm.automation.engine import Engine, Fired, tick
from deskterm.automation.loading import (
    active_rules,
    load_rules,
    load_stock_rules,
    parse_rule,
    user_rules_dir,
)
from deskterm.automation.model import EVENTS, FIELDS, Problem, Rule, RuleError, RuleSet

__all__ = [
    "EVENTS",
    "FIELDS",
    "Engine",
    "Fired",
    "Problem",
    "Rule",
    "RuleError",
    "RuleSet",
    "active_rules",
    "load_rules",
    "load_stock_rules",
    "parse_rule",
    "tick",
    "user_rules_dir",
]
