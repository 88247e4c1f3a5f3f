"""The JSON shapes of the operator API: what staff see of cases, messages and colleagues.

Only what a responder needs, and never the LINE user id: a conversation is shown by its
staff-facing ref and a pseudonym. Delivery states are named for people ("queued",
"uncertain"), not by the outbox's internal statuses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from yorisoi.identity import pseudonym
from yorisoi.operators.shifts import ShiftPattern
from yorisoi.store.ports import Store
from yorisoi.store.records import Conversation, LoggedMessage, OutboxStatus, StaffMember
from yorisoi.turns.outgoing import outbox_id_of

SHIFT_DAYS = 7  # how far ahead staff see shifts


def summary(conversation: Conversation, secret_key: str) -> dict[str, Any]:
    """Return what the queue shows of a conversation: pseudonym only, never the LINE id."""
    case = conversation.case
    assert case is not None
    intake = conversation.data.intake
    return {
        "id": conversation.ref,
        "pseudonym": pseudonym(conversation.user_id, secret_key),
        "topic": case.topic,
        "mode": case.mode,
        "status": str(case.status),
        "risk": case.risk,
        "night": case.night,
        "opened_at": _iso(case.opened_at),
        "waiting_since": _iso(case.waiting_since),
        "claimed_at": _iso(case.claimed_at),
        "closed_at": _iso(case.closed_at),
        "last_message_at": _iso(case.last_message_at),
        "assigned": (
            {"id": case.assigned_to, "display_name": case.assigned_name}
            if case.assigned_to
            else None
        ),
        "intake": {
            "age_band": intake.age_band,
            "gender": intake.gender,
            "prefecture": intake.prefecture,
        },
        "alerted": case.alerted_at is not None,
        "attention": list(case.attention),
        "blocked": conversation.blocked,
        "version": conversation.version,
    }


async def thread(
    store: Store, conversation: Conversation, secret_key: str, limit: int = 500
) -> dict[str, Any]:
    """Return the conversation with its messages, delivery states and notes (for the API)."""
    entries = await store.conversation_messages(conversation.user_id, limit)
    rows = {row.id: row for row in await store.outbox_rows(conversation.user_id)}
    messages, notes = [], []
    for entry in entries:
        if entry.direction == "note":
            notes.append(note_json(entry))
        else:
            messages.append(message_json(entry, rows))
    return {"conversation": summary(conversation, secret_key), "messages": messages, "notes": notes}


def last_read_token(entries: list[LoggedMessage]) -> str | None:
    """Return the newest mark-as-read token of the user's messages, if any."""
    for entry in reversed(entries):
        token = entry.payload.get("mark_as_read_token")
        if entry.direction == "in" and token:
            return str(token)
    return None


DELIVERY = {
    OutboxStatus.PENDING: "queued",
    OutboxStatus.SENDING: "queued",
    OutboxStatus.WAITING_QUOTA: "waiting_quota",
    OutboxStatus.SENT: "sent",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.UNCERTAIN: "uncertain",
    OutboxStatus.SKIPPED_BLOCKED: "skipped",
}


def message_json(entry: LoggedMessage, rows: dict[str, Any]) -> dict[str, Any]:
    """Return one log entry as the operator view shows it, with its delivery state."""
    author = entry.payload.get("author") or {}
    delivery = None
    if entry.direction == "out":
        row = rows.get(outbox_id_of(entry.id) or "")
        delivery = DELIVERY.get(row.status) if row is not None else None
    return {
        "id": entry.id,
        "direction": entry.direction,
        "author": "user" if entry.direction == "in" else ("staff" if author else "bot"),
        "staff": author.get("name"),
        "kind": entry.kind,
        "text": entry.text,
        "at": _iso(entry.at),
        "delivery": delivery,
    }


def note_json(entry: LoggedMessage) -> dict[str, Any]:
    """Return an internal note for the operator view."""
    author = entry.payload.get("author") or {}
    return {"id": entry.id, "author": author.get("name"), "text": entry.text, "at": _iso(entry.at)}


def me_json(member: StaffMember) -> dict[str, Any]:
    """Return what staff see of a staff member (never the password hash)."""
    return {
        "login": member.login,
        "display_name": member.display_name,
        "role": member.role,
        "on_duty": member.on_duty,
    }


def shift_fields(
    pattern: ShiftPattern | None, now: datetime, zone: ZoneInfo, key: str
) -> dict[str, Any]:
    """Return a member's planned shifts of the coming days, read in `zone`, under `key`.

    A shift in progress is included whole. The plan is for people to read; whether someone
    can take a handoff is their on-duty switch.
    """
    if pattern is None:
        return {"shift_timezone": None, "on_shift_now": False, key: []}
    coming = pattern.between(now, now + timedelta(days=SHIFT_DAYS))
    return {
        "shift_timezone": pattern.timezone.key,
        "on_shift_now": pattern.on_shift(now),
        key: [
            {
                "start": shift.start.astimezone(zone).isoformat(),
                "end": shift.end.astimezone(zone).isoformat(),
                "label": shift.label(zone),
            }
            for shift in coming
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
