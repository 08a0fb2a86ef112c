"""OpenAPI additions: the standard error body on every operation."""

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
    "409": "Conflict (Idempotency-Key reused with another body, or a state conflict).",
    "422": "The request is understood but cannot be carried out (e.g. the reply window is closed).",
    "429": "Too many requests for this API key; see Retry-After.",
}


def _error_response(code: str) -> dict:
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error responses every API view
    can give, all in the `{"error": {"code", "message", "details"}}` shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = ["401", "403", "404", "429"]
            if method in ("post", "put", "patch"):
                codes += ["400", "409"]
            if method == "get" and "{" not in path:
                codes.append("400")  # invalid filter values or cursor
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error_response(code))
            for code, response in responses.items():
                if code.startswith("4") and not response.get("content"):
                    response["content"] = _error_response("400")["content"]
    return result
