"""The licensing routes (``licensing/api.py``) in OpenAPI 3.1, merged into the admin API's
document by ``server/admin_openapi.py``."""

from __future__ import annotations

from typing import Any, Final

_ERROR: Final = {"$ref": "#/components/schemas/Error"}
_MEANING: Final = {
    "400": "The body, a field or a parameter is wrong (the message names it).",
    "401": "Missing or wrong bearer token.",
    "403": "The admin API is disabled: no admin_token in the config.",
    "404": "No such host, or no such instance now or in the history.",
    "413": "Body larger than 1 MiB (refused before it is read).",
    "503": "The store is unavailable (database down, SQLite file gone or read-only).",
}
_AUTH: Final = ("401", "403", "503")


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: _json(_ERROR, _MEANING[code]) for code in (*codes, *_AUTH)}


_HOST: Final = {"$ref": "#/components/schemas/Host"}
_HOST_BODY: Final = {"required": True, "content": {"application/json": {"schema": _HOST}}}
_HOSTNAME: Final = {
    "name": "hostname",
    "in": "path",
    "required": True,
    "description": "The compute host's name, as instance records' `host` field gives it.",
    "schema": {"type": "string"},
}
_IDENT: Final = {
    "name": "ident",
    "in": "path",
    "required": True,
    "description": "The instance's uuid (deleted instances too), or the name of a live one.",
    "schema": {"type": "string"},
}

SCHEMAS: Final[dict[str, Any]] = {
    "Host": {
        "type": "object",
        "description": "A compute host in the licence inventory (docs/licensing.md).",
        "required": ["hostname", "sockets", "cores_per_socket"],
        "properties": {
            "hostname": {"type": "string"},
            "sockets": {"type": "integer", "minimum": 1, "maximum": 64},
            "cores_per_socket": {"type": "integer", "minimum": 1, "maximum": 1024},
            "cluster": {"type": ["string", "null"], "description": "where VMs can move"},
            "hypervisor": {"enum": ["hyperv", "kvm", "vmware", "xen", "other"]},
            "licence": {"enum": ["standard", "datacenter", None]},
            "licensed_vms": {
                "type": ["integer", "null"],
                "description": "Windows Server VMs the host's Standard licences cover.",
            },
        },
        "additionalProperties": False,
    },
    "HistoryEvent": {
        "type": "object",
        "required": ["seq", "instance_uuid", "event", "at"],
        "properties": {
            "seq": {"type": "integer"},
            "instance_uuid": {"type": "string"},
            "event": {"enum": ["created", "moved", "updated", "deleted", "activation"]},
            "at": {"type": "string", "format": "date-time"},
        },
        "additionalProperties": True,
    },
    "LicenceReport": {
        "type": "object",
        "description": "The month's licence report: an estimate under the rules it states, "
        "not a compliance statement (docs/licensing.md explains every field).",
        "required": ["month", "rules", "totals", "hosts", "projects", "flags"],
        "additionalProperties": True,
    },
}

PATHS: Final[dict[str, Any]] = {
    "/v1/hosts": {
        "get": {
            "summary": "The host inventory.",
            "responses": {
                "200": _json({"type": "array", "items": _HOST}, "The hosts."),
                **_errors(),
            },
        },
        "post": {
            "summary": "Add a host.",
            "requestBody": _HOST_BODY,
            "responses": {"201": _json(_HOST, "Added."), **_errors("400", "413")},
        },
    },
    "/v1/hosts/{hostname}": {
        "parameters": [_HOSTNAME],
        "get": {
            "summary": "One host.",
            "responses": {"200": _json(_HOST, "The host."), **_errors("404")},
        },
        "put": {
            "summary": "Replace a host's fields.",
            "requestBody": _HOST_BODY,
            "responses": {"200": _json(_HOST, "Replaced."), **_errors("400", "404", "413")},
        },
        "delete": {
            "summary": "Remove a host from the inventory (history is kept).",
            "responses": {"204": {"description": "Removed."}, **_errors("404")},
        },
    },
    "/v1/instances/{ident}/history": {
        "parameters": [_IDENT],
        "get": {
            "summary": "An instance's lifecycle history, oldest first (append-only).",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "uuid": {"type": "string"},
                            "events": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/HistoryEvent"},
                            },
                        },
                    },
                    "The events.",
                ),
                **_errors("404"),
            },
        },
    },
    "/v1/licences/{month}": {
        "parameters": [
            {
                "name": "month",
                "in": "path",
                "required": True,
                "description": "YYYY-MM (UTC calendar month).",
                "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
            },
            {
                "name": "format",
                "in": "query",
                "required": False,
                "schema": {"enum": ["json", "csv", "html"], "default": "json"},
            },
        ],
        "get": {
            "summary": "The month's Windows licence report (the shipped rules).",
            "responses": {
                "200": {
                    "description": "The report.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/LicenceReport"}
                        },
                        "text/csv": {"schema": {"type": "string"}},
                        "text/html": {"schema": {"type": "string"}},
                    },
                },
                **_errors("400"),
            },
        },
    },
}
