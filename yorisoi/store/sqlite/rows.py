"""Rows to records: how the SQLite adapter reads its columns back into the port's records."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from yorisoi.clock import from_ms, to_ms
from yorisoi.domain.data import ConversationData
from yorisoi.store.records import (
    Case,
    ContentVersion,
    Conversation,
    EventStatus,
    Job,
    JobStatus,
    OutboxRow,
    OutboxStatus,
    StaffMember,
    StoredEvent,
)


def ms(when: datetime | None) -> int | None:
    """Return milliseconds since the epoch, or None."""
    return None if when is None else to_ms(when)


def dt(value: int | None) -> datetime | None:
    """Return the aware UTC datetime of a millisecond column, or None."""
    return None if value is None else from_ms(value)


def event_from(r: sqlite3.Row) -> StoredEvent:
    """Return the inbox event of a row."""
    return StoredEvent(
        event_id=r["event_id"],
        user_id=r["user_id"],
        type=r["type"],
        timestamp_ms=r["timestamp_ms"],
        received_at=from_ms(r["received_ms"]),
        raw=r["raw"],
        status=EventStatus(r["status"]),
        attempts=r["attempts"],
        not_before=dt(r["not_before_ms"]),
        last_error=r["last_error"],
        line_message_id=r["line_message_id"],
    )


def outbox_from(r: sqlite3.Row) -> OutboxRow:
    """Return the outbox row of a row."""
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
        reply_until=dt(r["reply_until_ms"]),
        status=OutboxStatus(r["status"]),
        attempts=r["attempts"],
        reply_attempted=bool(r["reply_attempted"]),
        sent_at=dt(r["sent_ms"]),
        sent_via=r["sent_via"],
        last_error=r["last_error"],
    )


def job_from(r: sqlite3.Row) -> Job:
    """Return the timed job of a row."""
    return Job(
        id=r["id"],
        kind=r["kind"],
        due_at=from_ms(r["due_ms"]),
        payload=json.loads(r["payload"]),
        key=r["key"],
        status=JobStatus(r["status"]),
        attempts=r["attempts"],
        lease_owner=r["lease_owner"],
        lease_until=dt(r["lease_until_ms"]),
        last_error=r["last_error"],
    )


def staff_from(r: sqlite3.Row) -> StaffMember:
    """Return the staff member of a row."""
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
        last_seen_at=dt(r["last_seen_ms"]),
    )


def conversation_from(r: sqlite3.Row) -> Conversation:
    """Return the conversation of a row (its case from the JSON column)."""
    return Conversation(
        user_id=r["user_id"],
        flow=r["flow"],
        state=r["state"],
        version=r["version"],
        data=ConversationData.from_dict(json.loads(r["data"])),
        blocked=bool(r["blocked"]),
        applied_events=json.loads(r["applied_events"]),
        created_at=dt(r["created_ms"]),
        updated_at=dt(r["updated_ms"]),
        ref=r["ref"] or "",
        case=Case.from_dict(json.loads(r["case_json"])) if r["case_json"] else None,
    )


def content_from(r: sqlite3.Row) -> ContentVersion:
    """Return the content version of a row."""
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
