"""The outbox role on SQLite: claiming each user's first row, recording how it went."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from yorisoi.clock import from_ms, to_ms
from yorisoi.store.records import UNFINISHED_OUTBOX, DeliveryAttempt, OutboxRow, OutboxStatus
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.rows import outbox_from

_UNFINISHED_SQL = ", ".join(f"'{s}'" for s in UNFINISHED_OUTBOX)


class SQLiteOutbox(SQLiteBase):
    """The outbox rows and their delivery attempts."""

    async def claim_outbox_heads(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 50
    ) -> list[OutboxRow]:
        """Claim each user's first unfinished row if it is due (or its lease expired)."""
        now_ms = to_ms(now)

        def run(db: sqlite3.Connection) -> list[OutboxRow]:
            cur = db.execute(
                "UPDATE outbox SET status = 'sending', lease_owner = ?, lease_until_ms = ? "
                "WHERE id IN ("
                "  SELECT id FROM ("
                "    SELECT id, status, next_attempt_ms, lease_until_ms, ROW_NUMBER() OVER ("
                "      PARTITION BY user_id ORDER BY version, idx) AS position"
                f"    FROM outbox WHERE status IN ({_UNFINISHED_SQL})"
                "  ) WHERE position = 1 AND ("
                "    (status IN ('pending', 'waiting_quota') AND next_attempt_ms <= ?)"
                "    OR (status = 'sending' AND lease_until_ms <= ?))"
                "  LIMIT ?) RETURNING *",
                (owner, to_ms(lease_until), now_ms, now_ms, limit),
            )
            return [outbox_from(r) for r in cur.fetchall()]

        return await self._tx(run)

    async def set_reply_attempted(
        self, row_id: str, attempted: bool, *, drop_token: bool = False
    ) -> None:
        """Persist whether a reply attempt has an unknown outcome; maybe forget the token."""
        token = ", reply_token = NULL, reply_until_ms = NULL" if drop_token else ""
        await self._update_outbox(row_id, f"reply_attempted = ?{token}", (int(attempted),))

    async def finish_outbox(
        self,
        row_id: str,
        status: OutboxStatus,
        now: datetime,
        via: str | None = None,
        error: str | None = None,
    ) -> None:
        """Mark a row finished."""
        await self._update_outbox(
            row_id,
            "status = ?, sent_ms = CASE WHEN ? = 'sent' THEN ? ELSE sent_ms END, "
            "sent_via = COALESCE(?, sent_via), last_error = COALESCE(?, last_error), "
            "attempts = attempts + 1, lease_owner = NULL, lease_until_ms = NULL",
            (str(status), str(status), to_ms(now), via, error),
        )

    async def reschedule_outbox(
        self, row_id: str, status: OutboxStatus, next_attempt_at: datetime, error: str | None
    ) -> None:
        """Put a row back to be tried later."""
        await self._update_outbox(
            row_id,
            "status = ?, next_attempt_ms = ?, last_error = ?, attempts = attempts + 1, "
            "lease_owner = NULL, lease_until_ms = NULL",
            (str(status), to_ms(next_attempt_at), error),
        )

    async def _update_outbox(self, row_id: str, assignments: str, params: tuple[Any, ...]) -> None:
        def run(db: sqlite3.Connection) -> None:
            db.execute(f"UPDATE outbox SET {assignments} WHERE id = ?", (*params, row_id))

        await self._tx(run)

    async def record_delivery(self, attempt: DeliveryAttempt) -> None:
        """Append a delivery attempt."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO deliveries (outbox_id, at_ms, via, outcome, status, detail, "
                "request_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    attempt.outbox_id,
                    to_ms(attempt.at),
                    attempt.via,
                    attempt.outcome,
                    attempt.status,
                    attempt.detail,
                    attempt.request_id,
                ),
            )

        await self._tx(run)

    async def deliveries(self, outbox_id: str) -> list[DeliveryAttempt]:
        """Return a row's attempts, oldest first."""
        rows = await self._read(
            "SELECT * FROM deliveries WHERE outbox_id = ? ORDER BY seq", (outbox_id,)
        )
        return [
            DeliveryAttempt(
                outbox_id=r["outbox_id"],
                at=from_ms(r["at_ms"]),
                via=r["via"],
                outcome=r["outcome"],
                status=r["status"],
                detail=r["detail"],
                request_id=r["request_id"],
            )
            for r in rows
        ]

    async def outbox_rows(self, user_id: str) -> list[OutboxRow]:
        """Return a user's outbox rows in send order."""
        rows = await self._read(
            "SELECT * FROM outbox WHERE user_id = ? ORDER BY version, idx", (user_id,)
        )
        return [outbox_from(r) for r in rows]

    async def outbox_counts(self) -> dict[str, int]:
        """Count rows per status."""
        rows = await self._read("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
