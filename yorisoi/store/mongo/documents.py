"""Records to documents and back: how the MongoDB adapter keeps the port's records.

Dates: BSON keeps milliseconds in UTC, so datetimes are stored cut to milliseconds and
read back as aware UTC (the real client is ``tz_aware``; mongomock returns naive ones).
"""

from __future__ import annotations

import enum
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo.errors import BulkWriteError

from yorisoi.domain.data import ConversationData
from yorisoi.store.records import (
    Case,
    Conversation,
    EventStatus,
    Job,
    JobStatus,
    OutboxRow,
    OutboxStatus,
    StoredEvent,
)

Doc = dict[str, Any]
R = TypeVar("R")

VISIBLE: Doc = {"staged": {"$exists": False}}
STAGED: Doc = {"staged": {"$exists": True}}
LIVE_JOBS = (str(JobStatus.PENDING), str(JobStatus.RUNNING))
PENDING = str(EventStatus.PENDING)
DUPLICATE_KEY = 11000
# As SQLite's INSERTs do, a new row or job starts unclaimed, whatever the record says.
NEW_OUTBOX: Doc = dict(
    attempts=0, reply_attempted=False, sent_at=None, sent_via=None, last_error=None
)
NEW_JOB: Doc = dict(attempts=0, lease_owner=None, lease_until=None, last_error=None)
STATUS_ENUMS: dict[type, type[enum.StrEnum]] = {
    StoredEvent: EventStatus,
    OutboxRow: OutboxStatus,
    Job: JobStatus,
}


def db_time(when: datetime) -> datetime:
    """Return ``when`` as naive UTC cut to milliseconds, exactly what BSON keeps."""
    utc = when.astimezone(UTC)
    return utc.replace(tzinfo=None, microsecond=utc.microsecond // 1000 * 1000)


def aware(value: datetime) -> datetime:
    """Return a stored datetime as aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_doc(record: Any, id_field: str | None = "id", **extra: Any) -> Doc:
    """Return a port record as a document: its id as ``_id``, dates and enums for BSON."""
    doc: Doc = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            value = db_time(value)
        elif isinstance(value, enum.Enum):
            value = value.value
        doc["_id" if f.name == id_field else f.name] = value
    doc.update(extra)
    return doc


def from_doc(cls: type[R], doc: Doc, id_field: str | None = "id") -> R:
    """Build a port record from a document; fields the record lacks are left out."""
    values: Doc = {}
    for f in fields(cls):  # type: ignore[arg-type]
        key = "_id" if f.name == id_field else f.name
        if key in doc:
            value = doc[key]
            values[f.name] = aware(value) if isinstance(value, datetime) else value
    if cls in STATUS_ENUMS:
        values["status"] = STATUS_ENUMS[cls](values["status"])
    return cls(**values)


def duplicates_only(exc: BulkWriteError) -> set[int]:
    """Return the positions refused as duplicate keys; re-raise any other failure."""
    errors = exc.details.get("writeErrors", [])
    if exc.details.get("writeConcernErrors") or any(e.get("code") != DUPLICATE_KEY for e in errors):
        raise exc
    return {int(e["index"]) for e in errors}


def conversation_from(doc: Doc) -> Conversation:
    """Build a Conversation from its document (the case is kept as ``Case.to_dict`` data)."""
    case = doc.get("case")
    plain = {k: v for k, v in doc.items() if k not in ("case", "ref", "data")}
    conversation = from_doc(Conversation, plain, "user_id")
    conversation.data = ConversationData.from_dict(doc.get("data"))
    conversation.ref = doc.get("ref") or ""
    conversation.case = Case.from_dict(case) if case else None
    return conversation


def job_doc(job: Job, **extra: Any) -> Doc:
    return to_doc(job, **NEW_JOB, **extra)
