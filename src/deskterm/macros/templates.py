"""Macro templates: a sandboxed Jinja2 where a missing value stops the macro and says which one.

Pure (no store, no files): the macro engine hands in placeholder values as `Record`s and gets text
back, or a `TemplateProblem` that names the placeholder ("order.tracking_url has no value").
Templates cannot reach Python internals (`{{ ''.__class__ }}` is refused) or change the values
they are given.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.runtime import StrictUndefined, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

# A reply longer than this is a template bug (a runaway loop), not a message to a customer.
MAX_OUTPUT = 100_000

ORDER_FIELDS = frozenset(
    {
        "number",
        "status",
        "fulfillment_status",
        "carrier",
        "tracking_number",
        "tracking_url",
        "total",
        "currency",
        "items",
        "placed_at",
    }
)

# Every placeholder a template may use, with its fields; `orders` is a list of order records.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "customer": frozenset({"name", "first_name", "email", "identities"}),
    "ticket": frozenset({"id", "subject", "status", "priority", "channel", "tags", "assignee"}),
    "order": ORDER_FIELDS,
    "orders": ORDER_FIELDS,
    "agent": frozenset({"name"}),
    "shop": frozenset({"name", "url", "signature"}),
    "survey": frozenset({"csat", "ces"}),
}
LIST_PLACEHOLDERS = frozenset({"orders"})


class TemplateProblem(Exception):
    """A template cannot be compiled or rendered; the message names the line or the placeholder."""


class Record:
    """Read-only placeholder values; a field that has no value is absent, not empty.

    Not a dict on purpose: `order.items` must be the order's items, never `dict.items`.
    """

    __slots__ = ("_path", "_values")

    def __init__(self, path: str, values: Mapping[str, Any]) -> None:
        self._path = path
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self._path}.{name} has no value") from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def get(self, name: str, default: Any = None) -> Any:
        """The field's value, or `default` when it has none."""
        return self._values.get(name, default)

    @property
    def path(self) -> str:
        """Where this record sits among the placeholders, e.g. "order" or "orders[2]"."""
        return self._path

    def __repr__(self) -> str:
        return f"Record({self._path!r}, {self._values!r})"


class Missing(StrictUndefined):
    """An undefined value that knows which placeholder it stands for.

    Attribute access chains (so `order.tracking_url | default(...)` works without any order), while
    printing, testing or comparing it fails with the placeholder's name.
    """

    __slots__ = ()

    @property
    def placeholder(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if isinstance(obj, Record):
            return f"{obj.path}.{name}"
        if isinstance(obj, Missing):
            return f"{obj.placeholder}.{name}"
        return str(name) if name is not None else "a value"

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        root = self
        while isinstance(root._undefined_obj, Missing):
            root = root._undefined_obj
        if root is not self:
            return f"{self.placeholder} has no value: there is no {root.placeholder}"
        return f"{self.placeholder} has no value"

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return Missing(self._undefined_hint, self, name, self._undefined_exception)

    # Undefined fails on any subscript; a missing value stays Missing one level down instead.
    def __getitem__(self, name: Any) -> Missing:  # type: ignore[override]
        return Missing(self._undefined_hint, self, str(name), self._undefined_exception)


def _date(value: Any, fmt: str | None = None) -> str:
    """Template filter: a moment as "3 March 2026", or in the strftime format given."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if not isinstance(value, datetime):
        raise TemplateProblem(f"date expects a moment, not {type(value).__name__}")
    return value.strftime(fmt) if fmt else f"{value.day} {value:%B %Y}"


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, plus a cap on `*` and `**` so a template cannot eat the memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            size, count = (_size(left), right) if _size(left) is not None else (_size(right), left)
            if size is not None and isinstance(count, int) and size * count > MAX_OUTPUT:
                raise SecurityError("the template repeats text beyond the size of any reply")
        if operator == "**" and isinstance(right, int) and abs(right) > 100:
            raise SecurityError("the template raises a number to a power above 100")
        return super().call_binop(context, operator, left, right)


# A line holding only block tags ("{% if ... %}", "{% endfor %}") leaves no line behind, while a
# tag that ends a line of text keeps that line's newline. (Jinja's trim_blocks would eat it.)
_STANDALONE_TAGS = re.compile(r"(?m)^[ \t]*((?:\{[%#](?:[^\n%#]|[%#](?!\}))*[%#]\}[ \t]*)+)\n")


def _drop_standalone_newlines(source: str) -> str:
    return _STANDALONE_TAGS.sub(lambda m: m.group(1).rstrip(" \t"), source)


def make_environment() -> _Sandbox:
    """The one template environment: sandboxed, strict, plain text (no HTML escaping)."""
    env = _Sandbox(
        undefined=Missing,
        autoescape=False,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["date"] = _date
    return env


ENV = make_environment()


# Compiling costs milliseconds and a template's text never changes meaning, so each is compiled once.
@lru_cache(maxsize=1024)
def compile_template(source: str) -> Any:
    """The compiled template; a syntax error names its line."""
    try:
        return ENV.from_string(_drop_standalone_newlines(source))
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"line {exc.lineno}: {exc.message}") from None
    # Jinja folds constant expressions while compiling, so the sandbox can refuse already here.
    except SecurityError as exc:
        raise TemplateProblem(f"refused by the sandbox: {exc}") from None
    except TemplateError as exc:
        raise TemplateProblem(str(exc)) from None


def _tidy(text: str) -> str:
    # Conditional blocks leave blank tails on lines; customers should not get them.
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def render(source: str, values: Mapping[str, Any]) -> str:
    """Render `source` with the placeholder `values`; any missing value raises TemplateProblem."""
    template = compile_template(source)
    try:
        text = template.render(**values)
    except SecurityError as exc:
        raise TemplateProblem(f"refused by the sandbox: {exc}") from None
    except UndefinedError as exc:
        raise TemplateProblem(f"{exc}; fill it in or give the template | default(...)") from None
    except TemplateProblem:
        raise
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateProblem(f"{type(exc).__name__}: {exc}") from None
    if len(text) > MAX_OUTPUT:
        raise TemplateProblem(f"the text is {len(text)} characters; the limit is {MAX_OUTPUT}")
    return _tidy(text)


def _suggest(name: str, known: frozenset[str] | set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _loop_aliases(ast: nodes.Template) -> dict[str, str]:
    """Loop variables over a list placeholder (`for o in orders`) and what they stand for."""
    aliases = {}
    for loop in ast.find_all(nodes.For):
        if (
            isinstance(loop.iter, nodes.Name)
            and loop.iter.name in LIST_PLACEHOLDERS
            and isinstance(loop.target, nodes.Name)
        ):
            aliases[loop.target.name] = loop.iter.name
    return aliases


@lru_cache(maxsize=1024)
def unknown_placeholders(source: str) -> tuple[str, ...]:
    """Problems with the placeholders `source` uses: unknown names and unknown fields."""
    try:
        ast = ENV.parse(_drop_standalone_newlines(source))
    except TemplateSyntaxError as exc:
        return (f"line {exc.lineno}: {exc.message}",)
    problems = []
    for name in sorted(meta.find_undeclared_variables(ast)):
        if name not in PLACEHOLDERS and name not in ENV.globals:
            problems.append(
                f"unknown placeholder {name!r}{_suggest(name, set(PLACEHOLDERS))}; "
                f"known: {', '.join(PLACEHOLDERS)}"
            )
    aliases = _loop_aliases(ast)
    fields: list[tuple[str, str]] = []
    for node in ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            fields.append((node.node.name, node.attr))
    for item in ast.find_all(nodes.Getitem):
        if (
            isinstance(item.node, nodes.Name)
            and isinstance(item.arg, nodes.Const)
            and isinstance(item.arg.value, str)
        ):
            fields.append((item.node.name, item.arg.value))
    for base, attr in fields:
        placeholder = aliases.get(base, base)
        known = PLACEHOLDERS.get(placeholder)
        if known is None or (placeholder in LIST_PLACEHOLDERS and base == placeholder):
            continue
        if attr not in known:
            problems.append(
                f"unknown placeholder {base}.{attr}{_suggest(attr, known)}; "
                f"{placeholder} has: {', '.join(sorted(known))}"
            )
    return tuple(problems)
