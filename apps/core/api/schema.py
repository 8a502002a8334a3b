"""The OpenAPI schema's shared parts, added to every API operation by a drf-spectacular
post-processing hook: the error answers every endpoint can give (in the one error shape)
and the `Idempotency-Key` header every POST accepts."""

ERROR = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Machine-readable, stable."},
        "message": {"type": "string", "description": "For people."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages per field.",
        },
    },
    "required": ["code", "message", "errors"],
}

COMMON = {
    "400": "The request is not valid: see `errors`.",
    "401": "No API key, or one that is not valid or was revoked.",
    "403": "This key may not do this (a read-only key writing).",
    "429": "Too many requests for this key: wait `Retry-After` seconds.",
}
POST_ONLY = {
    "409": "A conflict: the state does not allow it, or the Idempotency-Key is in use.",
    "422": "This Idempotency-Key was used with another request.",
}
WITH_BODY = {"415": "The body is not JSON: send `Content-Type: application/json`."}
WITH_ID = {"404": "No such object for this key's merchant."}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Retry safely: the same key and body replay the first answer (48 hours).",
}


def add_common_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if path.endswith(("/schema/", "/docs/")):
            continue
        for method, operation in operations.items():
            extra = dict(COMMON)
            if method == "post":
                extra |= POST_ONLY
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            if method in {"post", "put", "patch"}:
                extra |= WITH_BODY
            if "{" in path:
                extra |= WITH_ID
            responses = operation.setdefault("responses", {})
            for status, description in extra.items():
                responses.setdefault(status, {"description": description, "content": error})
    return result
