"""Macro templates: fallbacks, missing values that stop the macro, and the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskterm.macros.templates import Record, TemplateProblem, render, unknown_placeholders


@pytest.fixture
def values() -> dict:
    return {
        "customer": Record("customer", {"name": "Anna Adams", "first_name": "Anna"}),
        "ticket": Record("ticket", {"id": 7, "channel": "email", "tags": ["vip"]}),
        "order": Record(
            "order",
            {
                "number": "1001",
                "items": [Record("order.items[0]", {"title": "Felt hat"})],
                "placed_at": datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
            },
        ),
        "orders": [],
        "agent": Record("agent", {"name": "Sam"}),
        "shop": Record("shop", {"name": "Hatbox"}),
    }


def test_a_present_value_wins_over_its_fallback(values: dict) -> None:
    assert render('Hi {{ customer.first_name | default("there") }},', values) == "Hi Anna,"


def test_the_fallback_is_used_when_the_value_is_missing(values: dict) -> None:
    values["customer"] = Record("customer", {"name": ""})
    assert render('Hi {{ customer.first_name | default("there") }},', values) == "Hi there,"


def test_a_fallback_also_covers_a_missing_order(values: dict) -> None:
    del values["order"]
    text = render('Track it: {{ order.tracking_url | default("see your account") }}', values)
    assert text == "Track it: see your account"


def test_a_missing_value_stops_rendering_and_names_the_placeholder(values: dict) -> None:
    with pytest.raises(TemplateProblem, match=r"order\.tracking_url has no value"):
        render("Track it: {{ order.tracking_url }}", values)


def test_a_missing_order_names_the_placeholder_used(values: dict) -> None:
    del values["order"]
    with pytest.raises(TemplateProblem, match=r"order\.number has no value: there is no order"):
        render("Your order {{ order.number }}", values)


def test_testing_a_missing_value_in_an_if_also_stops(values: dict) -> None:
    with pytest.raises(TemplateProblem, match=r"order\.tracking_url"):
        render("{% if order.tracking_url %}x{% endif %}", values)


def test_is_defined_lets_a_template_branch_on_a_missing_value(values: dict) -> None:
    text = render("{% if order.tracking_url is defined %}link{% else %}soon{% endif %}", values)
    assert text == "soon"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ order._values }}",
        "{{ ''.__class__ | default('x') ~ ''.__class__ }}",
    ],
)
def test_the_sandbox_refuses_python_internals(values: dict, template: str) -> None:
    with pytest.raises(TemplateProblem, match="refused by the sandbox"):
        render(template, values)


def test_templates_cannot_change_the_values_they_get(values: dict) -> None:
    with pytest.raises(TemplateProblem, match="sandbox"):
        render("{{ ticket.tags.append('hacked') }}", values)
    assert values["ticket"].tags == ["vip"]


def test_a_runaway_repetition_is_refused(values: dict) -> None:
    with pytest.raises(TemplateProblem, match="size"):
        render("{{ 'spam ' * 100000000 }}", values)


def test_order_items_are_the_items_not_a_dict_method(values: dict) -> None:
    text = render("{% for item in order.items %}{{ item.title }}{% endfor %}", values)
    assert text == "Felt hat"


def test_the_date_filter_writes_a_readable_day(values: dict) -> None:
    assert render("{{ order.placed_at | date }}", values) == "3 March 2026"
    assert render("{{ order.placed_at | date('%d/%m/%Y') }}", values) == "03/03/2026"


def test_trailing_blank_lines_and_spaces_are_trimmed(values: dict) -> None:
    text = render("Hi {{ agent.name }}   \n{% if false %}x{% endif %}\n\n", values)
    assert text == "Hi Sam"


def test_a_syntax_error_names_its_line(values: dict) -> None:
    with pytest.raises(TemplateProblem, match="line 2"):
        render("Hi\n{{ customer.name }", values)


def test_unknown_placeholders_are_reported_with_a_suggestion() -> None:
    problems = unknown_placeholders("{{ custmer.name }} {{ order.tracking }}")
    assert "unknown placeholder 'custmer' (did you mean 'customer'?)" in problems[0]
    assert "order.tracking (did you mean 'tracking_url'?)" in problems[1]


def test_loop_variables_over_orders_are_checked_as_orders() -> None:
    problems = unknown_placeholders("{% for o in orders %}{{ o.numbr }}{{ o.number }}{% endfor %}")
    assert len(problems) == 1
    assert "o.numbr" in problems[0]


def test_known_placeholders_pass_the_check() -> None:
    template = (
        "{{ customer.first_name }} {{ ticket.id }} {{ order['tracking_url'] }} {{ agent.name }}"
        " {{ shop.signature }} {% for o in orders %}{{ o.total }}{% endfor %}"
    )
    assert unknown_placeholders(template) == ()


def test_a_block_tag_ending_a_line_keeps_the_line_break(values: dict) -> None:
    template = "Order {{ order.number }}{% if order.carrier is defined %} via post{% endif %}\nNext"
    assert render(template, values) == "Order 1001\nNext"


def test_lines_holding_only_block_tags_leave_no_blank_line(values: dict) -> None:
    template = "Items:\n{% for item in order.items %}\n- {{ item.title }}\n{% endfor %}\nThanks"
    assert render(template, values) == "Items:\n- Felt hat\nThanks"
