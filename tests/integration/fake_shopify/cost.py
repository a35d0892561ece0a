"""Shopify's query cost, as its documentation states it, and its leaky bucket.

Requested cost (charged up front): a scalar or enum costs 0, an object 1, a connection 2 plus
`first` times the cost of one node, a list taking `first` that many times one item; a mutation 10.
Actual cost is the same count over what the response really holds; the difference is refunded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10


def _fields(
    selection: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    found: list[FieldNode] = []
    for node in selection.selections if selection else ():
        if isinstance(node, FieldNode):
            found.append(node)
        elif isinstance(node, FragmentSpreadNode):
            found.extend(_fields(fragments[node.name.value].selection_set, fragments))
        elif isinstance(node, InlineFragmentNode):
            found.extend(_fields(node.selection_set, fragments))
    return found


def _first(node: FieldNode, variables: dict[str, Any]) -> int:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            return int(value_from_ast_untyped(argument.value, variables) or 0)
    return 0


def requested_cost(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments, variables: dict
) -> int:
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    assert root is not None
    if operation.operation.value == "mutation":
        return MUTATION_COST * len(_fields(operation.selection_set, fragments))
    return _selection_cost(root, operation.selection_set, fragments, variables)


def _selection_cost(
    parent: GraphQLObjectType, selection: SelectionSetNode | None, fragments, variables
) -> int:
    total = 0
    for node in _fields(selection, fragments):
        name = node.name.value
        if name.startswith("__") or name not in parent.fields:
            continue
        field_type = parent.fields[name].type
        named = get_named_type(field_type)
        if is_leaf_type(named):
            continue
        child_parent = named if isinstance(named, GraphQLObjectType) else None
        if named.name.endswith("Connection") and isinstance(named, GraphQLObjectType):
            total += 2 + _first(node, variables) * _connection_node_cost(
                named, node.selection_set, fragments, variables
            )
        elif isinstance(get_nullable_type(field_type), GraphQLList):
            one = 1 + (_child(child_parent, node, fragments, variables))
            total += max(_first(node, variables), 1) * one
        else:
            total += 1 + _child(child_parent, node, fragments, variables)
    return total


def _child(parent: GraphQLObjectType | None, node: FieldNode, fragments, variables) -> int:
    if parent is None:
        return 0
    return _selection_cost(parent, node.selection_set, fragments, variables)


def _connection_node_cost(
    connection: GraphQLObjectType, selection: SelectionSetNode | None, fragments, variables
) -> int:
    node_type = get_named_type(connection.fields["nodes"].type)
    assert isinstance(node_type, GraphQLObjectType)
    cost = 0
    for field in _fields(selection, fragments):
        if field.name.value == "nodes":
            cost = max(
                cost, 1 + _selection_cost(node_type, field.selection_set, fragments, variables)
            )
        elif field.name.value == "edges":
            for edge_field in _fields(field.selection_set, fragments):
                if edge_field.name.value == "node":
                    inner = _selection_cost(
                        node_type, edge_field.selection_set, fragments, variables
                    )
                    cost = max(cost, 1 + inner)
    return cost


def actual_cost(data: Any, *, mutation: bool, root: bool = True) -> int:
    """Objects really returned: every non-empty dict below the root counts one."""
    if mutation and root and isinstance(data, dict):
        return MUTATION_COST * len(data)
    if isinstance(data, dict):
        own = 0 if root else 1
        return own + sum(actual_cost(v, mutation=False, root=False) for v in data.values())
    if isinstance(data, list):
        return sum(actual_cost(v, mutation=False, root=False) for v in data)
    return 0


class LeakyBucket:
    """Points available to one app on one shop, restored at `restore_rate` per second."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], float]) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.clock = clock
        self._available = maximum
        self._at = clock()
        self._lock = threading.Lock()
        self.spent = 0.0

    def _settle(self) -> None:
        now = self.clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def available(self) -> float:
        with self._lock:
            self._settle()
            return self._available

    def take(self, requested: float) -> bool:
        with self._lock:
            self._settle()
            if requested > self._available:
                return False
            self._available -= requested
            return True

    def refund(self, requested: float, actual: float) -> None:
        with self._lock:
            self._settle()
            self._available = min(self.maximum, self._available + requested - actual)
            self.spent += actual

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available(), 1),
            "restoreRate": self.restore_rate,
        }
