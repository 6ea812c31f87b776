"""Store URLs: the default location, and the form that may be shown (password hidden)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

DB_ENV: Final = "WINCLOUD_DB"
DB_FILE_NAME: Final = "metadata.db"
# user:password@ -> user:***@, up to the last "@" (passwords are not always %-escaped)
_USERINFO: Final = re.compile(r"(://[^/@:]*:).*@")
_QUERY_SECRET: Final = re.compile(
    r"([?&](?:password|passwd|pass|sslpassword)=)[^&]*", re.IGNORECASE
)


def default_db_path() -> Path:
    """Where the embedded SQLite store lives by default (the per-user data directory)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("wincloud", appauthor=False)) / DB_FILE_NAME


def default_db_url() -> str:
    """``$WINCLOUD_DB`` when set, else a SQLite file in the per-user data directory."""
    from_env = os.environ.get(DB_ENV, "").strip()
    if from_env:
        return from_env
    return f"sqlite:///{default_db_path()}"


def display_url(url: str) -> str:
    """``url`` with any password replaced by ``***``: the only form of a URL that goes into a
    message, a log line or an error subject. Works on text that does not parse as a URL too,
    and over-hides rather than under-hides."""
    return _QUERY_SECRET.sub(r"\1***", _USERINFO.sub(r"\1***@", url, count=1))
