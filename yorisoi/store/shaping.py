"""Rules about the shape of stored data that both adapters follow, kept in one place.

Nothing here does I/O. The adapters translate these rules into SQL or MongoDB queries;
when a rule changes, it changes here and the contract suite checks both translations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yorisoi.store.records import Case, risk_rank

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
    (newest first). The adapters keep these as columns or fields with indexes on them.
    """

    status: str | None = None
    rank: int | None = None
    since: datetime | None = None
    closed: datetime | None = None


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
    )
