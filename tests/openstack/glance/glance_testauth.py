"""Test-only paste filter, loaded by Glance itself (it runs in .venv-glance, never in wincloud).

It stands where keystonemiddleware's ``authtoken`` stands in Glance's ``keystone`` pipeline and
sets the identity headers authtoken would set for a validated token, so Glance's own context
middleware and its real RBAC policies (member vs admin, project ownership) decide every request.
A token reads ``<role>@<project>``: ``admin@ops`` gets the roles admin, member and reader;
``member@p1`` gets member and reader; ``reader@p1`` gets reader. Anything else is a 401.
Identity headers sent by the client are dropped first, as authtoken does.
"""

from __future__ import annotations

import re

import webob
import webob.dec

_TOKEN = re.compile(r"^(admin|member|reader)@([a-z0-9-]{1,64})$")
_ROLES = {"admin": "admin,member,reader", "member": "member,reader", "reader": "reader"}
_IDENTITY_PREFIXES = (
    "X-Identity-",
    "X-User",
    "X-Project",
    "X-Tenant",
    "X-Roles",
    "X-Role",
    "X-Domain",
    "X-Service-",
    "X-Is-Admin",
    "X-System-",
)


class TestAuth:
    def __init__(self, app):
        self.app = app

    @webob.dec.wsgify
    def __call__(self, req):
        for name in list(req.headers):
            if name.title().startswith(_IDENTITY_PREFIXES):
                del req.headers[name]
        match = _TOKEN.match(req.headers.get("X-Auth-Token", ""))
        if match is None:
            return webob.Response(
                status=401, body=b"test auth: unknown token\n", content_type="text/plain"
            )
        role, project = match.groups()
        req.headers["X-Identity-Status"] = "Confirmed"
        req.headers["X-User-Id"] = f"{role}-{project}-user"
        req.headers["X-User-Name"] = f"{role}-{project}-user"
        req.headers["X-User-Domain-Id"] = "default"
        req.headers["X-Project-Id"] = project
        req.headers["X-Project-Name"] = project
        req.headers["X-Project-Domain-Id"] = "default"
        req.headers["X-Roles"] = _ROLES[role]
        return req.get_response(self.app)


def filter_factory(global_conf, **local_conf):
    return TestAuth
