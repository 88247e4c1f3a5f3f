"""Case queries on SQLite: the queue lists, their counts and the archive of closed cases."""

from __future__ import annotations

import json

from yorisoi.store.records import OPEN_CASE, Case, CaseStatus, Conversation, QueueCounts
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.rows import conversation_from


class SQLiteCases(SQLiteBase):
    """The queue views over the case columns of ``conversations``."""

    async def list_cases(self, status: CaseStatus, limit: int = 200) -> list[Conversation]:
        """Return conversations by case status in queue order (see the port)."""
        order = (
            "case_closed_ms DESC"
            if status == CaseStatus.CLOSED
            else "case_rank DESC, case_since_ms, user_id"
        )
        rows = await self._read(
            f"SELECT * FROM conversations WHERE case_status = ? ORDER BY {order} LIMIT ?",
            (str(status), limit),
        )
        return [conversation_from(r) for r in rows]

    async def archived_cases(self, limit: int = 100) -> list[Case]:
        """Return archived closed cases, newest first."""
        rows = await self._read(
            "SELECT body FROM case_archive ORDER BY closed_ms DESC LIMIT ?", (limit,)
        )
        return [Case.from_dict(json.loads(r["body"])) for r in rows]

    async def count_cases(self, status: CaseStatus, *, topics: frozenset[str] | None = None) -> int:
        """Count conversations by case status (and topic), from the index alone."""
        where, params = "case_status = ?", [str(status)]
        if topics is not None:
            where += f" AND case_topic IN ({', '.join('?' * len(topics))})"
            params.extend(sorted(topics))
        rows = await self._read(f"SELECT COUNT(*) AS n FROM conversations WHERE {where}", params)
        return int(rows[0]["n"])

    async def queue_counts(self) -> QueueCounts:
        """Count open cases by status, topic and risk in one pass over the counts index."""
        rows = await self._read(
            "SELECT case_status, case_topic, case_risk, COUNT(*) AS n FROM conversations "
            "WHERE case_status IN (?, ?) GROUP BY case_status, case_topic, case_risk",
            [str(s) for s in OPEN_CASE],
        )
        return QueueCounts(
            {(r["case_status"], r["case_topic"], r["case_risk"]): int(r["n"]) for r in rows}
        )
