"""The content role on SQLite: versions of admin-editable files, one active per file."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from yorisoi.clock import to_ms
from yorisoi.store.records import ContentVersion
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.rows import content_from


class SQLiteContent(SQLiteBase):
    """Content versions."""

    async def save_content_version(
        self, kind: str, name: str, body: str, sha256: str, source: str, now: datetime
    ) -> ContentVersion:
        """Store a new active version."""

        def run(db: sqlite3.Connection) -> ContentVersion:
            cur = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM content WHERE kind = ? AND name = ?",
                (kind, name),
            )
            row = cur.fetchone()
            version = int(row[0]) if row else 1
            db.execute("UPDATE content SET active = 0 WHERE kind = ? AND name = ?", (kind, name))
            db.execute(
                "INSERT INTO content (kind, name, version, body, sha256, source, created_ms, "
                "active) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (kind, name, version, body, sha256, source, to_ms(now)),
            )
            return ContentVersion(kind, name, version, body, sha256, source, now, True)

        return await self._tx(run)

    async def active_content(self, kind: str) -> list[ContentVersion]:
        """Return active versions of a kind by name."""
        rows = await self._read(
            "SELECT * FROM content WHERE kind = ? AND active = 1 ORDER BY name", (kind,)
        )
        return [content_from(r) for r in rows]

    async def content_versions(self, kind: str, name: str) -> list[ContentVersion]:
        """Return all versions of one content file, newest first."""
        rows = await self._read(
            "SELECT * FROM content WHERE kind = ? AND name = ? ORDER BY version DESC", (kind, name)
        )
        return [content_from(r) for r in rows]
