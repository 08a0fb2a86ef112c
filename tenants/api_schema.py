"""The OpenAPI schema states what the API enforces (tenants.api_contract enforces what it states).

- ContractAutoSchema: the constraints DRF fields check but drf-spectacular leaves out
  (a trimmed text field may not be only spaces, a decimal is digits, a list that may not be
  empty has minItems 1).
- add_error_responses: the error body on every operation, ids in paths as integers.
"""

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

# Something str.strip() leaves: not whitespace as Python counts it (\x1c-\x1f included, which
# the regex engines of JSON Schema validators do not count).
NOT_ONLY_SPACES = r"[^\s\x1c-\x1f]"


def _decimal_pattern(field: serializers.DecimalField) -> str:
    """Digits as DecimalField takes them: at most max_digits - decimal_places before the
    point, decimal_places after it, a sign only when negatives are allowed."""
    places = field.decimal_places or 0
    whole = (field.max_digits or 30) - places
    fraction = rf"(?:\.[0-9]{{0,{places}}})?" if places else ""
    number = rf"(?:[0-9]{{1,{whole}}}{fraction}" + (rf"|\.[0-9]{{1,{places}}})" if places else ")")
    maximum = field.max_value
    if maximum is not None and maximum > 0 and str(int(maximum)).strip("0") == "1":
        digits = len(str(int(maximum))) - 1  # a power of ten: 10**digits and anything below
        zeros = rf"(?:\.0{{0,{places}}})?" if places else ""
        below = rf"[0-9]{{1,{digits}}}{fraction}" if digits else "0" + fraction
        number = rf"(?:{below}|{int(maximum)}{zeros}" + (
            rf"|\.[0-9]{{1,{places}}})" if places else ")"
        )
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    return rf"^{sign}{number}$"


class ContractAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or field.read_only:
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = _decimal_pattern(field)
        elif (
            isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_ONLY_SPACES
        elif isinstance(field, serializers.ListField) and not field.allow_empty:
            schema["minItems"] = max(1, schema.get("minItems", 0))
        elif isinstance(field, serializers.PrimaryKeyRelatedField) and schema.get("type") == (
            "integer"
        ):
            from tenants.api_contract import ID_MAX

            schema.update(minimum=1, maximum=ID_MAX)
        return schema


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

_DESCRIPTIONS = {
    "400": "The request is not valid (details per field).",
    "401": "No valid API key or session.",
    "403": "The role or the read-only key may not do this.",
    "404": "No such object in this tenant.",
    "409": "Conflict (Idempotency-Key reused with another body, a name already taken, or a "
    "state conflict).",
    "422": "The request fits the schema but a rule the schema cannot state refuses it: an id "
    "that names nothing in this business, an end before its start, a closed reply window "
    "(details per field).",
    "429": "Too many requests for this API key; see Retry-After.",
}


def _error_response(code: str) -> dict:
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _id_parameters(operation: dict) -> None:
    """Ids in paths are integers (the URL accepts 1 to 18 digits: anything else is a 404)."""
    from tenants.api_contract import ID_MAX

    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "path" and (
            schema.get("type") == "integer" or schema.get("pattern") == r"^\d{1,18}$"
        ):
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": ID_MAX}


# Input rules drf-spectacular copies from a field's validators into both directions. A response
# shows what is stored, and rows written before a rule existed (or by another door) need not
# follow today's input rule.
_INPUT_ONLY_KEYWORDS = ("pattern", "minLength")


def _responses_describe_what_is_stored(schemas: dict) -> None:
    """Drop input-only rules from the response components (with COMPONENT_SPLIT_REQUEST the
    request bodies have their own `…Request` components, which keep them)."""
    for name, component in schemas.items():
        if name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            _drop_input_rules(prop)


def _drop_input_rules(schema: dict) -> None:
    for keyword in _INPUT_ONLY_KEYWORDS:
        schema.pop(keyword, None)
    if "oneOf" in schema:
        # Without their patterns the alternatives may overlap ("" is a string of at most 40
        # and of at most 0 characters): any of them, not exactly one.
        schema["anyOf"] = schema.pop("oneOf")
    for nested in (*schema.get("oneOf", ()), *schema.get("anyOf", ()), *schema.get("allOf", ())):
        _drop_input_rules(nested)
    if isinstance(schema.get("items"), dict):
        _drop_input_rules(schema["items"])


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error responses every API view
    can give, all in the `{"error": {"code", "message", "details"}}` shape."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    _responses_describe_what_is_stored(schemas)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            _id_parameters(operation)
            codes = ["401", "403", "404", "429"]
            if method in ("post", "put", "patch"):
                codes += ["400", "409", "422"]
            if method == "get" and any(p["in"] == "query" for p in operation.get("parameters", [])):
                codes.append("400")  # a query parameter the schema does not allow
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error_response(code))
            for code, response in responses.items():
                if code.startswith("4") and not response.get("content"):
                    response["content"] = _error_response("400")["content"]
    return result
