"""The admin API described in OpenAPI 3.1, served at ``GET /openapi.json`` (hand-written: the
routes are few and the document is the contract, so it is reviewed like code)."""

from __future__ import annotations

from functools import cache
from typing import Any

from wincloud import __version__
from wincloud.licensing.openapi import PATHS as LICENSING_PATHS
from wincloud.licensing.openapi import SCHEMAS as LICENSING_SCHEMAS

_ERROR = {"$ref": "#/components/schemas/Error"}
_ID = {
    "name": "ident",
    "in": "path",
    "required": True,
    "description": "The instance's uuid, or its name when no other instance has it.",
    "schema": {"type": "string"},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    meaning = {
        "400": "The body or a field of the record is wrong (the message names it).",
        "401": "Missing or wrong bearer token.",
        "403": "The admin API is disabled: no admin_token in the config.",
        "404": "No such instance.",
        "413": "Body larger than 1 MiB (refused before it is read).",
        "503": "The store is unavailable (database down, SQLite file gone or read-only).",
    }
    return {code: _json(_ERROR, meaning[code]) for code in codes}


_RECORD_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}},
}
_AUTH_ERRORS = ("401", "403", "503")


@cache
def openapi_document() -> dict[str, Any]:
    record = {"$ref": "#/components/schemas/Record"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wincloud metadata service admin API",
            "version": __version__,
            "description": "Instance records, posted passwords and guest reports; health and "
            "metrics. Listens only on --admin-listen. See docs/metadata-service.md.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Record": {
                    "type": "object",
                    "description": "An instance record (docs/instances.md); admin_pass and "
                    "secret meta values read back as '***'. Answers add `revision`.",
                    "required": ["uuid", "name"],
                    "properties": {
                        "uuid": {"type": "string", "format": "uuid"},
                        "name": {"type": "string"},
                        "hostname": {"type": "string"},
                        "revision": {"type": "integer", "readOnly": True},
                    },
                    "additionalProperties": True,
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string", "description": "error code (errors.md)"},
                        "message": {"type": "string"},
                        "hint": {"type": ["string", "null"]},
                    },
                },
                "Password": {
                    "type": "object",
                    "required": ["uuid", "password_base64"],
                    "properties": {
                        "uuid": {"type": "string", "format": "uuid"},
                        "password_base64": {
                            "type": ["string", "null"],
                            "description": "The sealed password exactly as the guest posted "
                            "it (base64 of the RSA ciphertext; null if none): feed it to "
                            "`wincloud password decrypt --key KEY` on standard input.",
                        },
                        "posted_bytes_base64": {
                            "type": "string",
                            "description": "Only when the guest posted bytes that are not "
                            "ASCII text: those bytes, base64-encoded.",
                        },
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"enum": ["ok", "unavailable"]},
                        "reason": {"type": "string", "description": "why, when unavailable"},
                    },
                    "additionalProperties": True,
                },
                **LICENSING_SCHEMAS,
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Whether the service can serve (store reachable and writable).",
                    "security": [],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Health"}, "Healthy."),
                        "503": _json({"$ref": "#/components/schemas/Health"}, "Unavailable."),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics (text exposition format).",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Metrics.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document.")},
                }
            },
            "/v1/instances": {
                "get": {
                    "summary": "List the instances.",
                    "responses": {
                        "200": _json({"type": "array", "items": record}, "The records."),
                        **_errors(*_AUTH_ERRORS),
                    },
                },
                "post": {
                    "summary": "Add an instance.",
                    "requestBody": _RECORD_BODY,
                    "responses": {
                        "201": _json(record, "Added (revision 1)."),
                        **_errors("400", "413", *_AUTH_ERRORS),
                    },
                },
            },
            "/v1/instances/{ident}": {
                "parameters": [_ID],
                "get": {
                    "summary": "One instance's record.",
                    "responses": {
                        "200": _json(record, "The record."),
                        **_errors("404", *_AUTH_ERRORS),
                    },
                },
                "put": {
                    "summary": "Replace the record (the posted password is kept).",
                    "requestBody": _RECORD_BODY,
                    "responses": {
                        "200": _json(record, "Replaced (revision + 1)."),
                        **_errors("400", "404", "413", *_AUTH_ERRORS),
                    },
                },
                "delete": {
                    "summary": "Remove the instance, its addresses and password.",
                    "responses": {
                        "204": {"description": "Removed."},
                        **_errors("404", *_AUTH_ERRORS),
                    },
                },
            },
            "/v1/instances/{ident}/password": {
                "parameters": [_ID],
                "get": {
                    "summary": "The sealed password the guest posted.",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Password"}, "Password."),
                        **_errors("404", *_AUTH_ERRORS),
                    },
                },
                "delete": {
                    "summary": "Forget the posted password, so the guest may post again.",
                    "responses": {
                        "204": {"description": "Cleared (or there was none)."},
                        **_errors("404", *_AUTH_ERRORS),
                    },
                },
            },
            "/v1/instances/{ident}/activation": {
                "parameters": [_ID],
                "get": {
                    "summary": "The guest's last activation report.",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "uuid": {"type": "string"},
                                    "report": {"type": ["object", "null"]},
                                    "received_at": {"type": "string", "format": "date-time"},
                                },
                            },
                            "The report, or null.",
                        ),
                        **_errors("404", *_AUTH_ERRORS),
                    },
                },
            },
            **LICENSING_PATHS,
        },
    }
