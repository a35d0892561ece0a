"""Requests and responses checked against a Swagger 2.0 description, for the fake HTTP APIs.

openapi-core reads OpenAPI 3 only and Amazon publishes Swagger 2.0, so this checks the parts the
fakes need with jsonschema: the operation exists for the method and path, path and query
parameters have their declared type, format, enum and count, nothing undeclared is sent, and a
body matches its schema. Responses are checked against the schema of their status code, so a fake
can never answer in a shape the real API would not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    parameters: list[dict[str, Any]]

    @property
    def description(self) -> str:
        return self.spec.get("description", "")


class SwaggerSpec:
    """One Swagger 2.0 file: find the operation for a request and list what is wrong with it."""

    def __init__(self, path: Path) -> None:
        self.document = json.loads(path.read_text(encoding="utf-8"))
        self.operations: list[Operation] = []
        for template, item in self.document["paths"].items():
            shared = item.get("parameters", [])
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            for method, spec in item.items():
                if method == "parameters":
                    continue
                self.operations.append(
                    Operation(
                        spec["operationId"],
                        method.upper(),
                        template,
                        re.compile(f"^{regex}$"),
                        spec,
                        [*shared, *spec.get("parameters", [])],
                    )
                )

    def by_id(self, operation_id: str) -> Operation:
        return next(op for op in self.operations if op.operation_id == operation_id)

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.operations:
            found = op.pattern.match(path)
            if found and op.method == method:
                return op, found.groupdict()
        return None

    def _validator(self, schema: dict[str, Any]) -> Draft4Validator:
        return Draft4Validator({**schema, "definitions": self.document["definitions"]})

    def schema_errors(self, schema: dict[str, Any], value: Any) -> list[str]:
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in self._validator(schema).iter_errors(value)
        ]

    def request_errors(
        self,
        op: Operation,
        path_params: dict[str, str],
        query: dict[str, list[str]],
        body: bytes,
    ) -> list[str]:
        """Everything in the request that the description does not allow."""
        errors: list[str] = []
        declared = {p["name"] for p in op.parameters if p["in"] == "query"}
        errors += [
            f"query parameter {name!r} is not declared" for name in query if name not in declared
        ]
        for param in op.parameters:
            where, name = param["in"], param["name"]
            if where == "path":
                errors += _value_errors(param, [path_params.get(name, "")], name)
            elif where == "query":
                if name not in query:
                    if param.get("required"):
                        errors.append(f"query parameter {name!r} is required")
                    continue
                errors += _value_errors(param, query[name], name)
            elif where == "body":
                errors += self._body_errors(param, body)
        if body and not any(p["in"] == "body" for p in op.parameters):
            errors.append("a body was sent to an operation that takes none")
        return errors

    def _body_errors(self, param: dict[str, Any], body: bytes) -> list[str]:
        if not body:
            return ["body is required"] if param.get("required") else []
        try:
            value = json.loads(body)
        except ValueError as exc:
            return [f"body is not JSON: {exc}"]
        return [f"body {e}" for e in self.schema_errors(param["schema"], value)]

    def response_errors(self, op: Operation, status: int, body: Any) -> list[str]:
        response = op.spec["responses"].get(str(status))
        if response is None:
            return [f"{op.operation_id} declares no response {status}"]
        schema = response.get("schema")
        return self.schema_errors(schema, body) if schema else []


def _scalar_error(param: dict[str, Any], text: str, name: str) -> str | None:
    kind = param.get("type", "string")
    if kind == "integer":
        try:
            number = int(text)
        except ValueError:
            return f"{name}={text!r} is not an integer"
        if "minimum" in param and number < param["minimum"]:
            return f"{name}={number} is below {param['minimum']}"
        if "maximum" in param and number > param["maximum"]:
            return f"{name}={number} is above {param['maximum']}"
        return None
    if param.get("format") == "date-time":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return f"{name}={text!r} is not an ISO 8601 date-time"
        if moment.tzinfo is None:
            return f"{name}={text!r} has no time zone"
    if "enum" in param and text not in param["enum"]:
        return f"{name}={text!r} is not one of {param['enum']}"
    if not text and param.get("required"):
        return f"{name} is empty"
    return None


def _value_errors(param: dict[str, Any], values: list[str], name: str) -> list[str]:
    if param.get("type") == "array":
        # Swagger 2.0's default collectionFormat is csv: one value, items separated by commas.
        if len(values) != 1:
            return [f"{name} is sent {len(values)} times; csv arrays are sent once"]
        items = values[0].split(",")
        errors = []
        if "maxItems" in param and len(items) > param["maxItems"]:
            errors.append(f"{name} has {len(items)} items, at most {param['maxItems']} allowed")
        item_spec = {**param["items"], "required": True}
        errors += [e for item in items if (e := _scalar_error(item_spec, item, name))]
        return errors
    if len(values) != 1:
        return [f"{name} is sent {len(values)} times"]
    error = _scalar_error(param, values[0], name)
    return [error] if error else []
