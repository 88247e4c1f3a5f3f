"""Rules about the shape of stored data that both adapters follow, kept in one place.

Nothing here does I/O. The adapters translate these rules into SQL or MongoDB queries;
when a rule changes, it changes here and the contract suite checks both translations.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yorisoi.store.queries import CaseQuery, InvalidCursor
from yorisoi.store.records import Case, CaseStatus, risk_rank

# How many applied event ids a conversation remembers. An event whose turn committed but
# whose inbox row was not yet marked done (a crash in between) must be recognised when it
# is processed again; 50 covers far more than one user's events in flight at once.
APPLIED_EVENTS_KEPT = 50


def applied_after(applied: list[str], event_id: str | None) -> list[str]:
    """Return the applied-events window after a turn that applied ``event_id`` (if any)."""
    if event_id is None:
        return list(applied)
    return [*applied, event_id][-APPLIED_EVENTS_KEPT:]


def dumps(value: Any) -> str:
    """Return compact JSON that keeps Japanese text readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def redact_raw_event(raw: str) -> str:
    """Return the raw event JSON with the message body removed (LINE's unsend)."""
    event = json.loads(raw)
    message = event.get("message")
    if isinstance(message, dict):
        event["message"] = {"id": message.get("id"), "type": message.get("type"), "unsent": True}
    return dumps(event)


@dataclass(frozen=True, slots=True)
class CaseKeys:
    """The values a case is found and ordered by, stored beside the case itself.

    The queue order: open cases by ``rank`` (the risk's rank, high first), then by
    ``since`` (waiting since, oldest first), then by user id; closed cases by ``closed``
    (newest first). ``topic``, ``risk`` and ``assigned_to`` filter the views and the counts.
    The adapters keep these as columns or fields with indexes on them.
    """

    status: str | None = None
    rank: int | None = None
    since: datetime | None = None
    closed: datetime | None = None
    topic: str | None = None
    risk: str | None = None
    assigned_to: str | None = None


NO_CASE = CaseKeys()


def case_keys(case: Case | None) -> CaseKeys:
    """Return the keys a conversation with this case is stored under."""
    if case is None:
        return NO_CASE
    return CaseKeys(
        status=str(case.status),
        rank=risk_rank(case.risk),
        since=case.waiting_since,
        closed=case.closed_at,
        topic=case.topic,
        risk=case.risk,
        assigned_to=case.assigned_to,
    )


@dataclass(frozen=True, slots=True)
class Restriction:
    """The cases a responder may see besides none: their topics, or assigned to them."""

    topics: frozenset[str]
    assigned_to: str | None


def restriction(query: CaseQuery) -> Restriction | None:
    """Return what limits the viewer's view, or None when they see every case.

    The one visibility rule, for both adapters: supervisors and admins (no topics given)
    and responders without topics see all; other responders see the cases of their topics
    and any case assigned to them.
    """
    if not query.viewer_topics:
        return None
    return Restriction(query.viewer_topics, query.viewer_id)


@dataclass(frozen=True, slots=True)
class OpenKey:
    """Where an open case stands in the queue: risk rank (high first), waiting since, user."""

    rank: int
    since_ms: int
    user_id: str


@dataclass(frozen=True, slots=True)
class ClosedKey:
    """Where a closed case stands in the closed view: closed at (newest first), user."""

    closed_ms: int
    user_id: str


def encode_cursor(key: OpenKey | ClosedKey) -> str:
    """Return an opaque cursor naming the last case of a page."""
    values: list[Any] = (
        ["o", key.rank, key.since_ms, key.user_id]
        if isinstance(key, OpenKey)
        else ["c", key.closed_ms, key.user_id]
    )
    return base64.urlsafe_b64encode(dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, status: CaseStatus | None) -> OpenKey | ClosedKey:
    """Return the position a cursor names; InvalidCursor unless it fits this view."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if status == CaseStatus.CLOSED:
            kind, closed_ms, user_id = values
            if kind == "c" and isinstance(closed_ms, int) and isinstance(user_id, str):
                return ClosedKey(closed_ms, user_id)
        else:
            kind, rank, since_ms, user_id = values
            if (
                kind == "o"
                and isinstance(rank, int)
                and isinstance(since_ms, int)
                and isinstance(user_id, str)
            ):
                return OpenKey(rank, since_ms, user_id)
    except (ValueError, TypeError):
        pass
    raise InvalidCursor("this page cursor does not belong to this view")
