"""The API enforces its own OpenAPI schema.

Before a view runs, the request's query parameters, documented headers and JSON body are
checked against the operation's schema (the one `/api/schema/` serves): a value the schema
does not allow is a 400 in the error shape, whatever DRF's fields would have let through
(a number where a string is declared, `page_size=null`, an empty date-time, a repeated
single-valued parameter). Constraints the schema cannot state — an id that names nothing in
this business, an end before its start — are the views' and services' to refuse (422).
"""

from __future__ import annotations

import functools
import re

import jsonschema_rs
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.fields import Field

# Object ids in URLs: 1 to 18 digits, so always a bigint (anything else is a 404).
ID_REGEX = r"\d{1,18}"
ID_MAX = 10**18 - 1


class InvalidIdempotencyKey(APIException):
    status_code = 400
    default_detail = (
        "The Idempotency-Key header must be 1 to 255 printable ASCII characters, not only spaces."
    )
    default_code = "invalid_idempotency_key"


_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def json_schema(node):
    """An OpenAPI 3.0 schema as plain JSON Schema: `nullable: true` becomes a null type."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if not node.pop("nullable", False):
        return node
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    if isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
        return node
    return {"anyOf": [node, {"type": "null"}]}


class _Operation:
    def __init__(self, operation: dict, components: dict):
        def validator(schema):
            root = {**json_schema(schema), "components": components}
            return jsonschema_rs.Draft4Validator(root, validate_formats=True)

        self.query = []
        self.headers = []
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            entry = (parameter["name"], schema, validator(schema), parameter.get("required"))
            if parameter["in"] == "query":
                self.query.append(entry)
            elif parameter["in"] == "header":
                self.headers.append(entry)
        body = operation.get("requestBody", {})
        json_body = body.get("content", {}).get("application/json")
        self.body = validator(json_body["schema"]) if json_body else None
        self.body_required = bool(body.get("required"))


@functools.cache
def _operations() -> list[tuple[re.Pattern, str, _Operation]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = json_schema(schema.get("components", {}))
    result = []
    for path, operations in schema.get("paths", {}).items():
        pattern = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)))
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                result.append((pattern, method.upper(), _Operation(operation, components)))
    return result


def _operation_for(path: str, method: str) -> _Operation | None:
    for pattern, op_method, operation in _operations():
        if op_method == method and pattern.fullmatch(path):
            return operation
    return None


def _coerce(raw: str, schema: dict):
    """A query string value as the JSON value the schema describes (left as a string, and so
    refused, when it is not one)."""
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.fullmatch(raw):
        return int(raw)
    if kind == "number" and _NUMBER.fullmatch(raw):
        return float(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _messages(validator, value) -> list[str]:
    try:
        return [error.message for error in validator.iter_errors(value)]
    except (ValueError, OverflowError):
        return ["This value is out of range."]


def _body_errors(validator, data) -> dict:
    errors: dict = {}
    try:
        found = list(validator.iter_errors(data))
    except (ValueError, OverflowError):
        return {"non_field_errors": ["A value is out of range."]}
    for error in found:
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
            # Named by the missing field, as DRF names it (a client maps errors to its form).
            path = [*error.instance_path, error.kind.property]
            field, *rest = path
            if not rest:
                errors.setdefault(str(field), []).append(
                    str(Field.default_error_messages["required"])
                )
                continue
        field, *rest = [*error.instance_path] or ["non_field_errors"]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest)
        message = f"{where.lstrip('.')}: {error.message}" if where else error.message
        errors.setdefault(str(field), []).append(message)
    return errors


def validate_request(request) -> None:
    """Raise a 400 ValidationError (details per parameter or body field) when the request
    does not fit its operation's schema."""
    operation = _operation_for(request.path, request.method)
    if operation is None:
        return
    errors: dict = {}
    for name, schema, validator, required in operation.query:
        values = request.query_params.getlist(name)
        if not values:
            if required:
                errors[name] = ["This parameter is required."]
            continue
        if schema.get("type") == "array":
            value = [_coerce(v, schema.get("items", {})) for v in values]
        elif len(values) > 1:
            errors[name] = ["Give this parameter once."]
            continue
        else:
            value = _coerce(values[0], schema)
        if messages := _messages(validator, value):
            errors[name] = messages
    for name, _schema, validator, required in operation.headers:
        value = request.headers.get(name)
        if value is None:
            if required:
                errors[name] = ["This header is required."]
            continue
        if _messages(validator, value):
            if name == "Idempotency-Key":
                raise InvalidIdempotencyKey()
            errors[name] = ["This header's value is not valid."]
    if errors:
        raise ValidationError(errors)
    if operation.body is not None and request.method in ("POST", "PUT", "PATCH"):
        if not request.stream and not operation.body_required:
            return
        errors = _body_errors(operation.body, request.data)
        if errors:
            raise ValidationError(errors)
