"""The Amazon connector's tables agree with Amazon's own API models (tests/fixtures/amazon)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from deskterm.connectors.amazon import client
from deskterm.connectors.amazon.messaging import MESSAGE_TYPES
from deskterm.connectors.amazon.regions import check_marketplace

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "amazon"
USAGE_PLAN = re.compile(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|")


def _operations() -> dict[str, tuple[str, str, dict]]:
    found = {}
    for path in SPECS.glob("*.json"):
        document = json.loads(path.read_text())
        for template, item in document["paths"].items():
            for method, op in item.items():
                found[op["operationId"]] = (method.upper(), template, op, document)
    return found


def test_each_operation_has_the_usage_plan_its_model_states() -> None:
    operations = _operations()
    for name, plan in client.USAGE_PLANS.items():
        stated = USAGE_PLAN.search(operations[name][2].get("description", ""))
        if stated:
            assert plan == (float(stated[1]), int(stated[2])), name


def test_each_message_type_posts_to_its_operation_with_the_models_text_limit() -> None:
    operations = _operations()
    for kind in MESSAGE_TYPES.values():
        method, template, op, document = operations[kind.operation]
        assert (method, template.rsplit("/", 1)[1]) == ("POST", kind.name)
        schema_ref = next(p for p in op["parameters"] if p["in"] == "body")["schema"]["$ref"]
        properties = document["definitions"][schema_ref.rsplit("/", 1)[1]]["properties"]
        for field in kind.fields:
            assert properties[field.name]["maxLength"] == field.max_length, kind.name


def test_the_included_datasets_are_ones_search_orders_accepts() -> None:
    op = _operations()["searchOrders"][2]
    allowed = next(p for p in op["parameters"] if p["name"] == "includedData")["items"]["enum"]
    assert set(client.INCLUDED_DATA.split(",")) <= set(allowed)


def test_a_marketplace_must_belong_to_the_region() -> None:
    assert check_marketplace("eu", "A1F83G8C2ARO7P") is None
    assert check_marketplace("na", "A1F83G8C2ARO7P") == (
        "marketplace A1F83G8C2ARO7P (GB) is served by region eu"
    )
    assert "region must be one of na, eu, fe" in check_marketplace("us", "ATVPDKIKX0DER")
    assert "not a marketplace id" in check_marketplace("eu", "XYZ")
