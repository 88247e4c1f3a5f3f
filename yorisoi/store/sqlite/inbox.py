"""The inbox role on SQLite: events stored once, pending ones in order, per-user leases."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from yorisoi.clock import to_ms
from yorisoi.store.records import EventStatus, InboundEvent, StoredEvent
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.rows import event_from


class SQLiteInbox(SQLiteBase):
    """The inbox and the user leases."""

    async def add_events(self, events: Sequence[InboundEvent]) -> list[str]:
        """Store events durably; return the ids that were not stored before."""
        if not events:
            return []
        return await self._tx(lambda db: _insert_events(db, events))

    async def users_with_pending_events(self, limit: int = 100) -> list[str]:
        """Return users with pending events, the longest waiting first."""
        rows = await self._read(
            "SELECT user_id, MIN(seq) AS first FROM inbox WHERE status = 'pending' "
            "AND user_id IS NOT NULL GROUP BY user_id ORDER BY first LIMIT ?",
            (limit,),
        )
        return [r["user_id"] for r in rows]

    async def pending_events(self, user_id: str, limit: int = 20) -> list[StoredEvent]:
        """Return a user's pending events in timestamp order, then arrival order."""
        rows = await self._read(
            "SELECT * FROM inbox WHERE status = 'pending' AND user_id = ? "
            "ORDER BY timestamp_ms, seq LIMIT ?",
            (user_id, limit),
        )
        return [event_from(r) for r in rows]

    async def get_event(self, event_id: str) -> StoredEvent | None:
        """Return one inbox event."""
        rows = await self._read("SELECT * FROM inbox WHERE event_id = ?", (event_id,))
        return event_from(rows[0]) if rows else None

    async def finish_event(
        self, event_id: str, status: EventStatus, now: datetime, error: str | None = None
    ) -> None:
        """Mark an event finished without a turn."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE inbox SET status = ?, finished_ms = ?, last_error = COALESCE(?, last_error) "
                "WHERE event_id = ?",
                (str(status), to_ms(now), error, event_id),
            )

        await self._tx(run)

    async def finish_applied_event(self, event_id: str, now: datetime) -> None:
        """Mark done an event already applied to its conversation."""
        await self.finish_event(event_id, EventStatus.DONE, now)

    async def inbox_counts(self) -> dict[str, int]:
        """Count inbox events per status."""
        rows = await self._read("SELECT status, COUNT(*) AS n FROM inbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    async def retry_event_later(self, event_id: str, error: str, not_before: datetime) -> int:
        """Record a failed attempt and when to try again."""

        def run(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "UPDATE inbox SET attempts = attempts + 1, last_error = ?, not_before_ms = ? "
                "WHERE event_id = ? RETURNING attempts",
                (error, to_ms(not_before), event_id),
            )
            row = cur.fetchone()
            return int(row[0]) if row else 0

        return await self._tx(run)

    async def acquire_user_lease(
        self, user_id: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take the user's lease if free, expired or ours."""

        def run(db: sqlite3.Connection) -> bool:
            cur = db.execute(
                "INSERT INTO user_leases (user_id, owner, until_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET owner = excluded.owner, "
                "until_ms = excluded.until_ms "
                "WHERE user_leases.owner = excluded.owner OR user_leases.until_ms <= ?",
                (user_id, owner, to_ms(until), to_ms(now)),
            )
            return cur.rowcount == 1

        return await self._tx(run)

    async def release_user_lease(self, user_id: str, owner: str) -> None:
        """Drop our lease on the user."""

        def run(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM user_leases WHERE user_id = ? AND owner = ?", (user_id, owner))

        await self._tx(run)


def _insert_events(db: sqlite3.Connection, events: Sequence[InboundEvent]) -> list[str]:
    ids: list[str] = []
    for e in events:
        cur = db.execute(
            "INSERT INTO inbox (event_id, user_id, type, timestamp_ms, received_ms, raw, "
            "line_message_id, redelivery) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (event_id) DO NOTHING",
            (
                e.event_id,
                e.user_id,
                e.type,
                e.timestamp_ms,
                to_ms(e.received_at),
                e.raw,
                e.line_message_id,
                int(e.redelivery),
            ),
        )
        if cur.rowcount == 1:
            ids.append(e.event_id)
    return ids
