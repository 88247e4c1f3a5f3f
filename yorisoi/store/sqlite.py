"""The embedded store: SQLite through aiosqlite, one file under ``var/``, no server.

Two connections: one writer, used under an asyncio lock with ``BEGIN IMMEDIATE`` so that
a transaction never interleaves with another coroutine's, and one reader, which in WAL
mode sees only committed rows (the outbox sender must never see a turn that may still
roll back). Several processes may share the file: ``BEGIN IMMEDIATE`` plus
``busy_timeout`` serialises their writers and the version check on conversations
keeps every update (see tests/store/test_multiprocess.py).

``synchronous=FULL``: an event acknowledged to LINE survives a power cut, not only a
crash. Concurrent writes are committed together (group commit): each caller's work is a
plain function run inside its own SAVEPOINT, and a whole batch goes to the connection's
thread as one call through aiosqlite's ``Connection._execute`` — the primitive all of its
public methods use (pinned below 0.23 in pyproject.toml; the contract tests would catch
a change). Per-statement calls cost a thread hop each (~60 µs) and an fsync per
transaction; they capped the bot at about 220 events/s (bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from yorisoi.clock import from_ms, to_ms
from yorisoi.store.port import (
    APPLIED_EVENTS_KEPT,
    UNFINISHED_OUTBOX,
    AlreadyExists,
    AuditEntry,
    Case,
    CaseStatus,
    ContentVersion,
    Conversation,
    DeliveryAttempt,
    EventStatus,
    InboundEvent,
    Job,
    JobStatus,
    LoggedMessage,
    OutboxRow,
    OutboxStatus,
    StaffMember,
    StaffSession,
    StoredEvent,
    StoreUnavailable,
    TurnCommit,
    risk_rank,
)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    user_id TEXT,
    type TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    raw TEXT NOT NULL,
    line_message_id TEXT,
    redelivery INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms INTEGER,
    last_error TEXT,
    finished_ms INTEGER
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (status, user_id, timestamp_ms, seq);
CREATE INDEX IF NOT EXISTS inbox_line_message ON inbox (line_message_id);
CREATE INDEX IF NOT EXISTS inbox_finished ON inbox (finished_ms);

CREATE TABLE IF NOT EXISTS user_leases (
    user_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS conversations (
    user_id TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    applied_events TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    ref TEXT,
    case_status TEXT,
    case_rank INTEGER,
    case_since_ms INTEGER,
    case_closed_ms INTEGER,
    case_json TEXT
);

CREATE TABLE IF NOT EXISTS case_archive (
    id TEXT PRIMARY KEY,
    closed_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_archive_closed ON case_archive (closed_ms);

CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT,
    at_ms INTEGER NOT NULL,
    event_id TEXT,
    line_message_id TEXT,
    payload TEXT NOT NULL,
    redacted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_user ON messages (user_id, seq);
CREATE INDEX IF NOT EXISTS messages_line_message ON messages (line_message_id);
CREATE INDEX IF NOT EXISTS messages_at ON messages (at_ms);

CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    messages TEXT NOT NULL,
    retry_key TEXT NOT NULL,
    reply_token TEXT,
    reply_until_ms INTEGER,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reply_attempted INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    sent_ms INTEGER,
    sent_via TEXT,
    last_error TEXT,
    lease_owner TEXT,
    lease_until_ms INTEGER,
    UNIQUE (user_id, version, idx)
);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (status, user_id, version, idx);

CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    via TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    detail TEXT,
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_row ON deliveries (outbox_id, seq);

CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    due_ms INTEGER NOT NULL,
    payload TEXT NOT NULL,
    key TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until_ms INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, due_ms);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_live_key ON jobs (key)
    WHERE key IS NOT NULL AND status IN ('pending', 'running');

CREATE TABLE IF NOT EXISTS staff (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    on_duty INTEGER NOT NULL DEFAULT 0,
    topics TEXT NOT NULL DEFAULT '[]',
    last_seen_ms INTEGER
);

CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS staff_sessions_expiry ON staff_sessions (expires_ms);

CREATE TABLE IF NOT EXISTS content (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, name, version)
);

CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL
);
"""

_UNFINISHED = tuple(str(s) for s in UNFINISHED_OUTBOX)
_UNFINISHED_SQL = ", ".join(f"'{s}'" for s in _UNFINISHED)


def _ms(when: datetime | None) -> int | None:
    return None if when is None else to_ms(when)


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SQLiteStore:
    """The Store port on one SQLite file."""

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._w = writer
        self._r = reader
        self._queue: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: str | Path) -> SQLiteStore:
        """Open (and create if needed) the database file and its schema."""
        path = Path(path)
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            writer = await aiosqlite.connect(path, isolation_level=None)
            await _configure(writer)
            await writer.executescript(SCHEMA)
            await _migrate(writer)
            reader = await aiosqlite.connect(path, isolation_level=None)
            await _configure(reader)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open SQLite database {path}: {exc}") from exc
        writer.row_factory = sqlite3.Row
        reader.row_factory = sqlite3.Row
        return cls(writer, reader)

    async def close(self) -> None:
        """Finish queued writes, then close both connections."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self._r.close()
        await self._w.close()

    async def ping(self) -> None:
        """Raise StoreUnavailable unless a trivial query answers."""
        await self._read("SELECT 1")

    # --- plumbing ------------------------------------------------------------------
    async def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a write transaction, committed together with concurrent callers'.

        Each caller's work runs inside its own SAVEPOINT, so one failing caller rolls back
        only its own changes; the batch is one BEGIN ... COMMIT and one fsync, run in one
        call on the connection's thread.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((fn, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return cast(T, await asyncio.shield(future))

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                # aiosqlite runs every call on the connection's own thread; a whole batch
                # goes as one call (its per-statement API costs a thread hop per statement).
                outcomes = await self._w._execute(
                    _run_batch, self._w._conn, [fn for fn, _ in batch]
                )
            except BaseException as exc:
                # Never leave a caller waiting: whatever stopped the batch fails all of it.
                error = (
                    exc
                    if isinstance(exc, StoreUnavailable)
                    else StoreUnavailable(f"SQLite: {exc!r}")
                )
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                if isinstance(exc, asyncio.CancelledError):
                    for _, future in self._queue:
                        future.set_exception(error)
                    self._queue = []
                    raise
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def _read(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        try:
            return list(await self._r.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite: {exc}") from exc

    # --- inbox ---------------------------------------------------------------------
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
        return [_event(r) for r in rows]

    async def get_event(self, event_id: str) -> StoredEvent | None:
        """Return one inbox event."""
        rows = await self._read("SELECT * FROM inbox WHERE event_id = ?", (event_id,))
        return _event(rows[0]) if rows else None

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

    # --- conversations ---------------------------------------------------------------
    async def load_conversation(self, user_id: str) -> Conversation | None:
        """Return the user's conversation or None."""
        rows = await self._read("SELECT * FROM conversations WHERE user_id = ?", (user_id,))
        return _conversation(rows[0]) if rows else None

    async def conversation_by_ref(self, ref: str) -> Conversation | None:
        """Return the conversation with this staff-facing id."""
        rows = await self._read("SELECT * FROM conversations WHERE ref = ?", (ref,))
        return _conversation(rows[0]) if rows else None

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
        return [_conversation(r) for r in rows]

    async def archived_cases(self, limit: int = 100) -> list[Case]:
        """Return archived closed cases, newest first."""
        rows = await self._read(
            "SELECT body FROM case_archive ORDER BY closed_ms DESC LIMIT ?", (limit,)
        )
        return [Case.from_dict(json.loads(r["body"])) for r in rows]

    async def commit_turn(self, commit: TurnCommit) -> bool:
        """Save the turn in one transaction if the conversation version is unchanged."""
        conv = commit.conversation
        now_ms = to_ms(commit.now)
        applied = list(conv.applied_events)
        if commit.event_id is not None:
            applied = [*applied, commit.event_id][-APPLIED_EVENTS_KEPT:]

        case = conv.case

        def run(db: sqlite3.Connection) -> bool:
            values = (
                conv.flow,
                conv.state,
                _dumps(conv.data),
                int(conv.blocked),
                _dumps(applied),
                now_ms,
                conv.ref or None,
                str(case.status) if case else None,
                risk_rank(case.risk) if case else None,
                _ms(case.waiting_since) if case else None,
                _ms(case.closed_at) if case else None,
                _dumps(case.to_dict()) if case else None,
            )
            if conv.version == 0:
                cur = db.execute(
                    "INSERT INTO conversations (flow, state, data, blocked, applied_events, "
                    "updated_ms, ref, case_status, case_rank, case_since_ms, case_closed_ms, "
                    "case_json, user_id, version, created_ms) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
                    "ON CONFLICT (user_id) DO NOTHING",
                    (*values, conv.user_id, now_ms),
                )
            else:
                cur = db.execute(
                    "UPDATE conversations SET flow = ?, state = ?, data = ?, blocked = ?, "
                    "applied_events = ?, updated_ms = ?, ref = ?, case_status = ?, "
                    "case_rank = ?, case_since_ms = ?, case_closed_ms = ?, case_json = ?, "
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
                    (closed.id, _ms(closed.closed_at) or now_ms, _dumps(closed.to_dict())),
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
                            _dumps(m.payload),
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
                            _dumps(o.messages),
                            o.retry_key,
                            o.reply_token,
                            _ms(o.reply_until),
                            str(o.status),
                            to_ms(o.next_attempt_at),
                            to_ms(o.created_at),
                        )
                        for o in commit.outbox
                    ],
                )
            for job in commit.jobs:
                _insert_job(db, job)
            for line_message_id in commit.redact_line_message_ids:
                _redact(db, line_message_id)
            if commit.event_id is not None:
                db.execute(
                    "UPDATE inbox SET status = 'done', finished_ms = ? WHERE event_id = ?",
                    (now_ms, commit.event_id),
                )
            return True

        return await self._tx(run)

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

    # --- outbox ----------------------------------------------------------------------
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
            return [_outbox(r) for r in cur.fetchall()]

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
        return [_outbox(r) for r in rows]

    async def outbox_counts(self) -> dict[str, int]:
        """Count rows per status."""
        rows = await self._read("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    # --- timed jobs ------------------------------------------------------------------
    async def schedule_job(self, job: Job) -> bool:
        """Insert a job unless a live job has the same key."""
        return await self._tx(lambda db: _insert_job(db, job))

    async def claim_due_jobs(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 20
    ) -> list[Job]:
        """Claim due jobs with a lease."""
        now_ms = to_ms(now)

        def run(db: sqlite3.Connection) -> list[Job]:
            cur = db.execute(
                "UPDATE jobs SET status = 'running', lease_owner = ?, lease_until_ms = ?, "
                "attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs WHERE "
                "(status = 'pending' AND due_ms <= ?) OR (status = 'running' AND lease_until_ms <= ?) "
                "ORDER BY due_ms LIMIT ?) RETURNING *",
                (owner, to_ms(lease_until), now_ms, now_ms, limit),
            )
            rows = cur.fetchall()
            return sorted((_job(r) for r in rows), key=lambda j: j.due_at)

        return await self._tx(run)

    async def finish_job(self, job_id: str, status: JobStatus, error: str | None = None) -> None:
        """Mark a job done or failed."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE jobs SET status = ?, last_error = ?, lease_owner = NULL, "
                "lease_until_ms = NULL WHERE id = ?",
                (str(status), error, job_id),
            )

        await self._tx(run)

    async def retry_job(self, job_id: str, due_at: datetime, error: str) -> None:
        """Put a job back as pending."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE jobs SET status = 'pending', due_ms = ?, last_error = ?, "
                "lease_owner = NULL, lease_until_ms = NULL WHERE id = ?",
                (to_ms(due_at), error, job_id),
            )

        await self._tx(run)

    # --- staff, content, audit ---------------------------------------------------------
    async def add_staff(self, member: StaffMember) -> None:
        """Insert a staff member."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO staff (id, login, display_name, role, password_hash, created_ms, "
                "active, on_duty, topics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    member.id,
                    member.login,
                    member.display_name,
                    member.role,
                    member.password_hash,
                    to_ms(member.created_at),
                    int(member.active),
                    int(member.on_duty),
                    _dumps(list(member.topics)),
                ),
            )

        try:
            await self._tx(run)
        except sqlite3.IntegrityError as exc:
            raise AlreadyExists(f"staff login {member.login!r} is taken") from exc

    async def staff_by_login(self, login: str) -> StaffMember | None:
        """Return the staff member with this login."""
        rows = await self._read("SELECT * FROM staff WHERE login = ?", (login,))
        return _staff(rows[0]) if rows else None

    async def list_staff(self) -> list[StaffMember]:
        """Return all staff by login."""
        return [_staff(r) for r in await self._read("SELECT * FROM staff ORDER BY login")]

    async def staff_by_id(self, staff_id: str) -> StaffMember | None:
        """Return the staff member with this id."""
        rows = await self._read("SELECT * FROM staff WHERE id = ?", (staff_id,))
        return _staff(rows[0]) if rows else None

    async def set_on_duty(self, staff_id: str, on_duty: bool) -> None:
        """Record the on-duty switch."""

        def run(db: sqlite3.Connection) -> None:
            db.execute("UPDATE staff SET on_duty = ? WHERE id = ?", (int(on_duty), staff_id))

        await self._tx(run)

    async def touch_staff(self, staff_id: str, at: datetime) -> None:
        """Record when the staff member was last present."""

        def run(db: sqlite3.Connection) -> None:
            db.execute("UPDATE staff SET last_seen_ms = ? WHERE id = ?", (to_ms(at), staff_id))

        await self._tx(run)

    async def create_session(self, session: StaffSession) -> None:
        """Insert a session (and drop expired ones while at it)."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "DELETE FROM staff_sessions WHERE expires_ms <= ?", (to_ms(session.created_at),)
            )
            db.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_ms, "
                "expires_ms) VALUES (?, ?, ?, ?, ?)",
                (
                    session.token_hash,
                    session.staff_id,
                    session.csrf_token,
                    to_ms(session.created_at),
                    to_ms(session.expires_at),
                ),
            )

        await self._tx(run)

    async def get_session(self, token_hash: str, now: datetime) -> StaffSession | None:
        """Return a live session."""
        rows = await self._read(
            "SELECT * FROM staff_sessions WHERE token_hash = ? AND expires_ms > ?",
            (token_hash, to_ms(now)),
        )
        if not rows:
            return None
        r = rows[0]
        return StaffSession(
            r["token_hash"],
            r["staff_id"],
            r["csrf_token"],
            from_ms(r["created_ms"]),
            from_ms(r["expires_ms"]),
        )

    async def delete_session(self, token_hash: str) -> None:
        """Delete a session."""

        def run(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

        await self._tx(run)

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
        return [_content(r) for r in rows]

    async def content_versions(self, kind: str, name: str) -> list[ContentVersion]:
        """Return all versions of one content file, newest first."""
        rows = await self._read(
            "SELECT * FROM content WHERE kind = ? AND name = ? ORDER BY version DESC", (kind, name)
        )
        return [_content(r) for r in rows]

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
                    _dumps(entry.detail),
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

    # --- retention ---------------------------------------------------------------------
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


CASE_COLUMNS = (
    ("ref", "TEXT"),
    ("case_status", "TEXT"),
    ("case_rank", "INTEGER"),
    ("case_since_ms", "INTEGER"),
    ("case_closed_ms", "INTEGER"),
    ("case_json", "TEXT"),
)


async def _migrate(db: aiosqlite.Connection) -> None:
    """Bring a database made by an earlier version up to SCHEMA (columns added since)."""
    columns = {row[1] for row in await db.execute_fetchall("PRAGMA table_info(staff)")}
    if "on_duty" not in columns:
        await db.execute("ALTER TABLE staff ADD COLUMN on_duty INTEGER NOT NULL DEFAULT 0")
    if "topics" not in columns:
        await db.execute("ALTER TABLE staff ADD COLUMN topics TEXT NOT NULL DEFAULT '[]'")
    if "last_seen_ms" not in columns:
        await db.execute("ALTER TABLE staff ADD COLUMN last_seen_ms INTEGER")
    columns = {row[1] for row in await db.execute_fetchall("PRAGMA table_info(conversations)")}
    for name, kind in CASE_COLUMNS:
        if name not in columns:
            await db.execute(f"ALTER TABLE conversations ADD COLUMN {name} {kind}")
    # Indexes on the columns above: created here, after they surely exist.
    await db.execute("CREATE UNIQUE INDEX IF NOT EXISTS conversations_ref ON conversations (ref)")
    await db.execute(
        "CREATE INDEX IF NOT EXISTS conversations_queue "
        "ON conversations (case_status, case_rank DESC, case_since_ms)"
    )


async def _configure(db: aiosqlite.Connection) -> None:
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=FULL")
    await db.execute("PRAGMA busy_timeout=10000")


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


def _run_batch(
    db: sqlite3.Connection, work: list[Callable[[sqlite3.Connection], Any]]
) -> list[tuple[bool, Any]]:
    """Run each piece of work in its own savepoint inside one transaction (DB thread)."""
    outcomes: list[tuple[bool, Any]] = []
    db.execute("BEGIN IMMEDIATE")
    try:
        for fn in work:
            db.execute("SAVEPOINT work")
            try:
                result = fn(db)
            except sqlite3.IntegrityError as exc:
                db.execute("ROLLBACK TO work")
                outcomes.append((False, exc))
            except sqlite3.Error as exc:
                db.execute("ROLLBACK TO work")
                outcomes.append((False, StoreUnavailable(f"SQLite: {exc}")))
            except Exception as exc:
                db.execute("ROLLBACK TO work")
                outcomes.append((False, exc))
            else:
                outcomes.append((True, result))
            db.execute("RELEASE work")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return outcomes


def _insert_job(db: sqlite3.Connection, job: Job) -> bool:
    cur = db.execute(
        "INSERT INTO jobs (id, kind, due_ms, payload, key, status, attempts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (job.id, job.kind, to_ms(job.due_at), _dumps(job.payload), job.key, str(job.status), 0),
    )
    return cur.rowcount == 1


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


def redact_raw_event(raw: str) -> str:
    """Return the raw event JSON with the message body removed (LINE's unsend)."""
    event = json.loads(raw)
    message = event.get("message")
    if isinstance(message, dict):
        event["message"] = {"id": message.get("id"), "type": message.get("type"), "unsent": True}
    return _dumps(event)


def _event(r: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        event_id=r["event_id"],
        user_id=r["user_id"],
        type=r["type"],
        timestamp_ms=r["timestamp_ms"],
        received_at=from_ms(r["received_ms"]),
        raw=r["raw"],
        status=EventStatus(r["status"]),
        attempts=r["attempts"],
        not_before=_dt(r["not_before_ms"]),
        last_error=r["last_error"],
        line_message_id=r["line_message_id"],
    )


def _outbox(r: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=r["id"],
        user_id=r["user_id"],
        version=r["version"],
        index=r["idx"],
        messages=json.loads(r["messages"]),
        retry_key=r["retry_key"],
        created_at=from_ms(r["created_ms"]),
        next_attempt_at=from_ms(r["next_attempt_ms"]),
        reply_token=r["reply_token"],
        reply_until=_dt(r["reply_until_ms"]),
        status=OutboxStatus(r["status"]),
        attempts=r["attempts"],
        reply_attempted=bool(r["reply_attempted"]),
        sent_at=_dt(r["sent_ms"]),
        sent_via=r["sent_via"],
        last_error=r["last_error"],
    )


def _job(r: sqlite3.Row) -> Job:
    return Job(
        id=r["id"],
        kind=r["kind"],
        due_at=from_ms(r["due_ms"]),
        payload=json.loads(r["payload"]),
        key=r["key"],
        status=JobStatus(r["status"]),
        attempts=r["attempts"],
        lease_owner=r["lease_owner"],
        lease_until=_dt(r["lease_until_ms"]),
        last_error=r["last_error"],
    )


def _staff(r: sqlite3.Row) -> StaffMember:
    return StaffMember(
        id=r["id"],
        login=r["login"],
        display_name=r["display_name"],
        role=r["role"],
        password_hash=r["password_hash"],
        created_at=from_ms(r["created_ms"]),
        active=bool(r["active"]),
        on_duty=bool(r["on_duty"]),
        topics=json.loads(r["topics"]),
        last_seen_at=_dt(r["last_seen_ms"]),
    )


def _conversation(r: sqlite3.Row) -> Conversation:
    return Conversation(
        user_id=r["user_id"],
        flow=r["flow"],
        state=r["state"],
        version=r["version"],
        data=json.loads(r["data"]),
        blocked=bool(r["blocked"]),
        applied_events=json.loads(r["applied_events"]),
        created_at=_dt(r["created_ms"]),
        updated_at=_dt(r["updated_ms"]),
        ref=r["ref"] or "",
        case=Case.from_dict(json.loads(r["case_json"])) if r["case_json"] else None,
    )


def _content(r: sqlite3.Row) -> ContentVersion:
    return ContentVersion(
        kind=r["kind"],
        name=r["name"],
        version=r["version"],
        body=r["body"],
        sha256=r["sha256"],
        source=r["source"],
        created_at=from_ms(r["created_ms"]),
        active=bool(r["active"]),
    )
