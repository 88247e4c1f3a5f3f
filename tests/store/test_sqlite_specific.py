"""What only the SQLite adapter has to get right: files made by earlier versions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from yorisoi.store.records import CaseStatus
from yorisoi.store.sqlite import SQLiteStore


async def test_a_database_from_before_the_on_duty_column_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE staff (id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, display_name TEXT "
            "NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_ms INTEGER NOT NULL, "
            "active INTEGER NOT NULL DEFAULT 1)"
        )
        db.execute("INSERT INTO staff VALUES ('s1', 'sato', '佐藤', 'responder', 'h', 0, 1)")
    store = await SQLiteStore.open(path)
    try:
        member = await store.staff_by_login("sato")
        assert member is not None and member.on_duty is False
        await store.set_on_duty("s1", True)
        again = await store.staff_by_id("s1")
        assert again is not None and again.on_duty
    finally:
        await store.close()


async def test_a_database_from_before_cases_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE conversations (user_id TEXT PRIMARY KEY, flow TEXT NOT NULL, state TEXT "
            "NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, blocked INTEGER NOT NULL "
            "DEFAULT 0, applied_events TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms "
            "INTEGER NOT NULL)"
        )
        db.execute(
            "INSERT INTO conversations VALUES ('U1', 'default', 'menu', 3, '{}', 0, '[]', 0, 0)"
        )
    store = await SQLiteStore.open(path)
    try:
        old = await store.load_conversation("U1")
        assert old is not None and old.case is None and old.ref == "" and old.version == 3
        assert await store.list_cases(CaseStatus.WAITING) == []
        member = await store.list_staff()
        assert member == []
    finally:
        await store.close()


async def test_cases_stored_before_the_count_columns_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    case = {"id": "c1", "status": "waiting", "topic": "youth", "mode": "handoff"}
    case |= {"opened_at": "2026-11-24T03:00:00+00:00", "risk": "high", "assigned_to": None}
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE conversations (user_id TEXT PRIMARY KEY, flow TEXT NOT NULL, state TEXT "
            "NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, blocked INTEGER NOT NULL "
            "DEFAULT 0, applied_events TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms "
            "INTEGER NOT NULL, ref TEXT, case_status TEXT, case_rank INTEGER, case_since_ms "
            "INTEGER, case_closed_ms INTEGER, case_json TEXT)"
        )
        db.execute(
            "INSERT INTO conversations VALUES ('U1', 'default', 'menu', 3, '{}', 0, '[]', 0, 0, "
            "'r1', 'waiting', 2, 0, NULL, ?)",
            (json.dumps(case),),
        )
    store = await SQLiteStore.open(path)
    try:
        assert await store.count_cases(CaseStatus.WAITING, topics=frozenset({"youth"})) == 1
        counts = await store.queue_counts()
        assert counts.count(CaseStatus.WAITING, topic="youth", risk="high") == 1
    finally:
        await store.close()
