"""Case queries on SQLite: the queue lists, their counts and the archive of closed cases."""

from __future__ import annotations

import json
from typing import Any

from yorisoi.store.queries import CasePage, CaseQuery, QueueCounts
from yorisoi.store.records import OPEN_CASE, Case, CaseStatus, Conversation
from yorisoi.store.shaping import ClosedKey, OpenKey, decode_cursor, encode_cursor, restriction
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.rows import conversation_from
from yorisoi.store.sqlite.schema import QUEUE_KEY_SPAN


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

    async def find_cases(
        self, query: CaseQuery, *, after: str | None = None, limit: int = 50
    ) -> CasePage:
        """Return one page of a queue view and the view's total (see the port)."""
        where, params = _view_filter(query)
        total = await self._read(f"SELECT COUNT(*) AS n FROM conversations WHERE {where}", params)
        closed = query.status == CaseStatus.CLOSED
        if closed:
            order, seek = "case_closed_ms DESC, user_id DESC", "(case_closed_ms, user_id) < (?, ?)"
        else:
            order, seek = "case_queue_key, user_id", "(case_queue_key, user_id) > (?, ?)"
        page_where, page_params = where, list(params)
        if after is not None:
            key = decode_cursor(after, query.status)
            page_where += f" AND {seek}"
            page_params.extend(_seek_values(key))
        rows = await self._read(
            f"SELECT * FROM conversations WHERE {page_where} ORDER BY {order} LIMIT ?",
            [*page_params, limit + 1],
        )
        more, rows = len(rows) > limit, rows[:limit]
        cursor = None
        if more and rows:
            last = rows[-1]
            cursor = encode_cursor(
                ClosedKey(last["case_closed_ms"], last["user_id"])
                if closed
                else OpenKey(last["case_rank"], last["case_since_ms"], last["user_id"])
            )
        return CasePage([conversation_from(r) for r in rows], cursor, int(total[0]["n"]))


def _view_filter(query: CaseQuery) -> tuple[str, list[Any]]:
    """Return the WHERE clause (and its parameters) of a queue view, without its page."""
    if query.status is None:
        clauses, params = ["case_queue_key IS NOT NULL"], []  # every open case
    else:
        clauses, params = ["case_status = ?"], [str(query.status)]
    for column, value in (
        ("case_assigned", query.assigned_to),
        ("case_risk", query.risk),
        ("case_topic", query.topic),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    limited = restriction(query)
    if limited is not None:
        topics = f"case_topic IN ({', '.join('?' * len(limited.topics))})"
        params.extend(sorted(limited.topics))
        if limited.assigned_to is None:
            clauses.append(topics)
        else:
            clauses.append(f"({topics} OR case_assigned = ?)")
            params.append(limited.assigned_to)
    return " AND ".join(clauses), params


def _seek_values(key: OpenKey | ClosedKey) -> list[Any]:
    """Return the values a page seeks past: the last case of the page before."""
    if isinstance(key, ClosedKey):
        return [key.closed_ms, key.user_id]
    return [(2 - key.rank) * QUEUE_KEY_SPAN + key.since_ms, key.user_id]
