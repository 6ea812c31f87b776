"""Who the administrator is: ``users.username``, or the metadata's ``meta.admin_username``
when ``users.username_from_metadata`` (cloudbase-init reads the same key). Shared by the
users, password, ssh_keys and winrm plugins, so they always agree."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from wincloud.errors import InvalidMetadata

if TYPE_CHECKING:
    from wincloud.agent.plugins.base import RunContext

META_USERNAME: Final = "admin_username"
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,19}\Z")
"""Portable: Windows allows 20 characters, useradd 32."""


def admin_username(ctx: RunContext) -> str:
    name = ctx.config.users.username
    if ctx.config.users.username_from_metadata and ctx.found is not None:
        given = ctx.found.meta.get(META_USERNAME, "").strip()
        if given:
            if not _NAME.match(given):
                raise InvalidMetadata(
                    "not a valid user name (letters, digits, '_', '.', '-'; at most 20)",
                    subject=f"meta.{META_USERNAME}",
                )
            name = given
    return name


def is_admin(ctx: RunContext, username: str) -> bool:
    """True when the user is in one of the OS's administrator groups."""
    users = ctx.platform.users
    admins = {g.casefold() for g in users.admin_groups()}
    return any(g.casefold() in admins for g in users.groups_of(username))
