"""The SQLite schema, and the migration that brings files made by earlier versions up to it.

``SCHEMA`` creates what is missing on every start; ``migrate`` then adds the columns and
indexes that came later, so that a new file and an upgraded one end up the same.
"""

from __future__ import annotations

import aiosqlite

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


# Milliseconds since the epoch stay below this until the year 2286.
QUEUE_KEY_SPAN = 10_000_000_000_000

CASE_COLUMNS = (
    ("ref", "TEXT"),
    ("case_status", "TEXT"),
    ("case_rank", "INTEGER"),
    ("case_since_ms", "INTEGER"),
    ("case_closed_ms", "INTEGER"),
    ("case_json", "TEXT"),
    # Copies of the case's fields that views filter and count by (written with the case;
    # ``migrate`` fills them in for cases stored before they existed).
    ("case_topic", "TEXT"),
    ("case_risk", "TEXT"),
    ("case_assigned", "TEXT"),
    # The queue order of an open case as one ascending number (NULL once closed): risk
    # first (high = 0), then waiting since; computed, as it depends on the columns above. One ascending key lets a page continue with an
    # index seek, ``(case_queue_key, user_id) > (?, ?)``, where the order "rank descending,
    # since ascending" could not be one row-value comparison.
    (
        "case_queue_key",
        "INTEGER GENERATED ALWAYS AS (CASE WHEN case_status IN ('waiting', 'active') "
        f"THEN (2 - case_rank) * {QUEUE_KEY_SPAN} + case_since_ms END) VIRTUAL",
    ),
)

# Indexes of the queue views (``find_cases``) and the counts; each lets its view read in
# order (no sort) and stop after a page.
CASE_INDEXES = (
    "conversations_queue ON conversations (case_status, case_rank DESC, case_since_ms)",
    "conversations_case_counts ON conversations "
    "(case_status, case_topic, case_risk, case_assigned)",
    "conversations_status_queue ON conversations (case_status, case_queue_key, user_id)",
    "conversations_open_queue ON conversations (case_queue_key, user_id)",
    "conversations_mine ON conversations (case_assigned, case_queue_key, user_id)",
    "conversations_closed ON conversations (case_status, case_closed_ms, user_id)",
)


async def migrate(db: aiosqlite.Connection) -> None:
    """Bring a database made by an earlier version up to SCHEMA (columns added since)."""
    columns = {row[1] for row in await db.execute_fetchall("PRAGMA table_info(staff)")}
    if "on_duty" not in columns:
        await db.execute("ALTER TABLE staff ADD COLUMN on_duty INTEGER NOT NULL DEFAULT 0")
    if "topics" not in columns:
        await db.execute("ALTER TABLE staff ADD COLUMN topics TEXT NOT NULL DEFAULT '[]'")
    if "last_seen_ms" not in columns:
        await db.execute("ALTER TABLE staff ADD COLUMN last_seen_ms INTEGER")
    # table_xinfo, not table_info: only it lists generated columns.
    columns = {row[1] for row in await db.execute_fetchall("PRAGMA table_xinfo(conversations)")}
    for name, kind in CASE_COLUMNS:
        if name not in columns:
            await db.execute(f"ALTER TABLE conversations ADD COLUMN {name} {kind}")
    if "case_topic" not in columns:
        await db.execute(
            "UPDATE conversations SET case_topic = json_extract(case_json, '$.topic'), "
            "case_risk = json_extract(case_json, '$.risk'), "
            "case_assigned = json_extract(case_json, '$.assigned_to') "
            "WHERE case_json IS NOT NULL"
        )
    # Indexes on the columns above: created here, after they surely exist.
    await db.execute("CREATE UNIQUE INDEX IF NOT EXISTS conversations_ref ON conversations (ref)")
    # Made by an earlier commit of the queue work, replaced by conversations_case_counts.
    await db.execute("DROP INDEX IF EXISTS conversations_counts")
    for index in CASE_INDEXES:
        await db.execute(f"CREATE INDEX IF NOT EXISTS {index}")
