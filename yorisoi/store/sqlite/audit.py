"""The audit role on SQLite: the append-only audit log, and retention (purge)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from yorisoi.clock import from_ms, to_ms
from yorisoi.store.records import AuditEntry
from yorisoi.store.shaping import dumps
from yorisoi.store.sqlite.connection import SQLiteBase


class SQLiteAudit(SQLiteBase):
    """The audit log and the retention purge."""

    async def append_audit(self, entry: AuditEntry) -> None:
        """Append an audit entry."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO audit (id, at_ms, actor, action, target, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.id,
                    to_ms(entry.at),
                    entry.actor,
                    entry.action,
                    entry.target,
                    dumps(entry.detail),
                ),
            )

        await self._tx(run)

    async def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        """Return the newest audit entries first."""
        rows = await self._read("SELECT * FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
        return [
            AuditEntry(
                id=r["id"],
                at=from_ms(r["at_ms"]),
                actor=r["actor"],
                action=r["action"],
                target=r["target"],
                detail=json.loads(r["detail"]),
            )
            for r in rows
        ]

    async def purge(self, messages_before: datetime, inbox_before: datetime) -> dict[str, int]:
        """Delete old log entries and finished inbox events."""

        def run(db: sqlite3.Connection) -> dict[str, int]:
            messages = db.execute("DELETE FROM messages WHERE at_ms < ?", (to_ms(messages_before),))
            inbox = db.execute(
                "DELETE FROM inbox WHERE status != 'pending' AND finished_ms < ?",
                (to_ms(inbox_before),),
            )
            return {"messages": messages.rowcount, "inbox": inbox.rowcount}

        return await self._tx(run)
