"""The Nova-compatible metadata HTTP service."""

from __future__ import annotations

from wincloud.server.admin import create_admin_app
from wincloud.server.app import MetadataApp, create_app
from wincloud.server.settings import Listen, ServerSettings, TokenMode, load_settings

__all__ = [
    "Listen",
    "MetadataApp",
    "ServerSettings",
    "TokenMode",
    "create_admin_app",
    "create_app",
    "load_settings",
]
