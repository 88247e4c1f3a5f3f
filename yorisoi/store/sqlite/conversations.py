"""The conversation role on SQLite: loading conversations and committing turns."""

from __future__ import annotations

import json
import sqlite3

from yorisoi.clock import from_ms, to_ms
from yorisoi.store.records import Conversation, LoggedMessage, TurnCommit
from yorisoi.store.shaping import applied_after, case_keys, dumps, redact_raw_event
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.jobs import insert_job
from yorisoi.store.sqlite.rows import conversation_from, ms


class SQLiteConversations(SQLiteBase):
    """Conversations, their log, and the one transaction of a turn."""

    async def load_conversation(self, user_id: str) -> Conversation | None:
        """Return the user's conversation or None."""
        rows = await self._read("SELECT * FROM conversations WHERE user_id = ?", (user_id,))
        return conversation_from(rows[0]) if rows else None

    async def conversation_by_ref(self, ref: str) -> Conversation | None:
        """Return the conversation with this staff-facing id."""
        rows = await self._read("SELECT * FROM conversations WHERE ref = ?", (ref,))
        return conversation_from(rows[0]) if rows else None

    async def is_blocked(self, user_id: str) -> bool:
        """True if the user unfollowed and has not followed again."""
        rows = await self._read("SELECT blocked FROM conversations WHERE user_id = ?", (user_id,))
        return bool(rows and rows[0]["blocked"])

    async def conversation_messages(self, user_id: str, limit: int = 200) -> list[LoggedMessage]:
        """Return the newest log entries of a conversation, oldest first."""
        rows = await self._read(
            "SELECT * FROM (SELECT * FROM messages WHERE user_id = ? ORDER BY seq DESC LIMIT ?) "
            "ORDER BY seq",
            (user_id, limit),
        )
        return [
            LoggedMessage(
                id=r["id"],
                user_id=r["user_id"],
                direction=r["direction"],
                kind=r["kind"],
                text=r["text"],
                at=from_ms(r["at_ms"]),
                event_id=r["event_id"],
                line_message_id=r["line_message_id"],
                payload=json.loads(r["payload"]),
                redacted=bool(r["redacted"]),
            )
            for r in rows
        ]

    async def commit_turn(self, commit: TurnCommit) -> bool:
        """Save the turn in one transaction if the conversation version is unchanged."""
        conv = commit.conversation
        now_ms = to_ms(commit.now)
        applied = applied_after(conv.applied_events, commit.event_id)
        case, keys = conv.case, case_keys(conv.case)

        def run(db: sqlite3.Connection) -> bool:
            values = (
                conv.flow,
                conv.state,
                dumps(conv.data.to_dict()),
                int(conv.blocked),
                dumps(applied),
                now_ms,
                conv.ref or None,
                keys.status,
                keys.rank,
                ms(keys.since),
                ms(keys.closed),
                keys.topic,
                keys.risk,
                keys.assigned_to,
                dumps(case.to_dict()) if case else None,
            )
            if conv.version == 0:
                cur = db.execute(
                    "INSERT INTO conversations (flow, state, data, blocked, applied_events, "
                    "updated_ms, ref, case_status, case_rank, case_since_ms, case_closed_ms, "
                    "case_topic, case_risk, case_assigned, case_json, user_id, version, "
                    "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
                    "ON CONFLICT (user_id) DO NOTHING",
                    (*values, conv.user_id, now_ms),
                )
            else:
                cur = db.execute(
                    "UPDATE conversations SET flow = ?, state = ?, data = ?, blocked = ?, "
                    "applied_events = ?, updated_ms = ?, ref = ?, case_status = ?, "
                    "case_rank = ?, case_since_ms = ?, case_closed_ms = ?, case_topic = ?, "
                    "case_risk = ?, case_assigned = ?, case_json = ?, "
                    "version = version + 1 WHERE user_id = ? AND version = ?",
                    (*values, conv.user_id, conv.version),
                )
            if cur.rowcount != 1:
                return False
            for closed in commit.archive:
                db.execute(
                    "INSERT INTO case_archive (id, closed_ms, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET closed_ms = excluded.closed_ms, "
                    "body = excluded.body",
                    (closed.id, ms(closed.closed_at) or now_ms, dumps(closed.to_dict())),
                )
            if commit.messages:
                db.executemany(
                    "INSERT INTO messages (id, user_id, direction, kind, text, at_ms, event_id, "
                    "line_message_id, payload, redacted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (id) DO NOTHING",
                    [
                        (
                            m.id,
                            m.user_id,
                            m.direction,
                            m.kind,
                            m.text,
                            to_ms(m.at),
                            m.event_id,
                            m.line_message_id,
                            dumps(m.payload),
                            int(m.redacted),
                        )
                        for m in commit.messages
                    ],
                )
            if commit.outbox:
                db.executemany(
                    "INSERT INTO outbox (id, user_id, version, idx, messages, retry_key, "
                    "reply_token, reply_until_ms, status, attempts, reply_attempted, "
                    "next_attempt_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)",
                    [
                        (
                            o.id,
                            o.user_id,
                            o.version,
                            o.index,
                            dumps(o.messages),
                            o.retry_key,
                            o.reply_token,
                            ms(o.reply_until),
                            str(o.status),
                            to_ms(o.next_attempt_at),
                            to_ms(o.created_at),
                        )
                        for o in commit.outbox
                    ],
                )
            for job in commit.jobs:
                insert_job(db, job)
            for line_message_id in commit.redact_line_message_ids:
                _redact(db, line_message_id)
            if commit.event_id is not None:
                db.execute(
                    "UPDATE inbox SET status = 'done', finished_ms = ? WHERE event_id = ?",
                    (now_ms, commit.event_id),
                )
            return True

        return await self._tx(run)


def _redact(db: sqlite3.Connection, line_message_id: str) -> None:
    """Delete the body of an unsent message from the log and from the raw inbox event."""
    db.execute(
        "UPDATE messages SET text = NULL, payload = '{}', redacted = 1 WHERE line_message_id = ?",
        (line_message_id,),
    )
    cur = db.execute(
        "SELECT event_id, raw FROM inbox WHERE line_message_id = ?", (line_message_id,)
    )
    for event_id, raw in cur.fetchall():
        db.execute("UPDATE inbox SET raw = ? WHERE event_id = ?", (redact_raw_event(raw), event_id))
