"""Storage: records, role-sized ports and two adapters; ``open_store`` picks one from a URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from yorisoi.store.ports import Store
from yorisoi.store.records import StoreError, StoreUnavailable

__all__ = ["Store", "StoreError", "StoreUnavailable", "describe_url", "open_store"]


def sqlite_path(url: str) -> Path:
    """Return the file path of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError("a SQLite URL looks like sqlite:///var/yorisoi.sqlite3")
    path = url[len("sqlite:///") :]
    if not path:
        raise ValueError("the SQLite URL names no file")
    return Path(path)


def check_url(url: str) -> None:
    """Raise ValueError unless the URL selects a store we have."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        sqlite_path(url)
    elif scheme not in ("mongodb", "mongodb+srv"):
        raise ValueError(f"unknown database scheme {scheme!r}: use sqlite:/// or mongodb://")


def describe_url(url: str) -> str:
    """Return the URL without credentials, for logs."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return parts._replace(netloc=f"***@{host}").geturl()


async def open_store(url: str) -> Store:
    """Open the store the URL names; never fall back to another one."""
    check_url(url)
    if url.startswith("sqlite:"):
        from yorisoi.store.sqlite import SQLiteStore

        return await SQLiteStore.open(sqlite_path(url))
    from yorisoi.store.mongo import MongoStore

    return await MongoStore.connect(url)
