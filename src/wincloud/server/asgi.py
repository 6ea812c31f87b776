"""An app factory for ASGI servers started from their own command line (granian, uvicorn):

    WINCLOUD_DB=sqlite:///md.db granian --interface asgi --factory \\
        wincloud.server.asgi:app_from_env --host 127.0.0.1 --port 8775

Reads ``WINCLOUD_DB`` and, when set, ``WINCLOUD_METADATA_CONFIG`` (the TOML file).
"""

from __future__ import annotations

import os
from pathlib import Path

from wincloud.server.app import MetadataApp, create_app
from wincloud.server.settings import load_settings
from wincloud.store import default_db_url, open_repo


def app_from_env() -> MetadataApp:
    config = os.environ.get("WINCLOUD_METADATA_CONFIG")
    settings = load_settings(Path(config) if config else None)
    return create_app(open_repo(os.environ.get("WINCLOUD_DB") or default_db_url()), settings)
