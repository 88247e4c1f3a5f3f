"""The records yorisoi keeps, the enums of their life cycles, and the store's errors.

These are plain dataclasses shared by every port (``ports.py``) and both adapters; they hold
no I/O. All datetimes in them are aware and in UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yorisoi.domain.data import ConversationData


class StoreError(Exception):
    """Raised when the store refuses an operation for a reason the caller can act on."""


class StoreUnavailable(StoreError):
    """Raised when the database cannot be reached or answered with an I/O error."""


class AlreadyExists(StoreError):
    """Raised when a record with the same unique key is already stored."""


class EventStatus(enum.StrEnum):
    """Where an inbox event is in its life."""

    PENDING = "pending"
    DONE = "done"
    IGNORED = "ignored"
    FAILED = "failed"


class OutboxStatus(enum.StrEnum):
    """Where an outbox row is in its life; PENDING, SENDING and WAITING_QUOTA are unfinished."""

    PENDING = "pending"
    SENDING = "sending"
    WAITING_QUOTA = "waiting_quota"
    SENT = "sent"
    SKIPPED_BLOCKED = "skipped_blocked"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # a reply may or may not have arrived; staff decide


UNFINISHED_OUTBOX = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.WAITING_QUOTA)


class JobStatus(enum.StrEnum):
    """Where a timed job is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One LINE webhook event as received, before processing.

    ``raw`` is the event's JSON text: the SDK drops fields it does not know, so the raw
    form is what we keep.
    """

    event_id: str
    user_id: str | None
    type: str
    timestamp_ms: int
    received_at: datetime
    raw: str
    line_message_id: str | None = None
    redelivery: bool = False


@dataclass(slots=True)
class StoredEvent:
    """An inbox event with its processing status."""

    event_id: str
    user_id: str | None
    type: str
    timestamp_ms: int
    received_at: datetime
    raw: str
    status: EventStatus = EventStatus.PENDING
    attempts: int = 0
    not_before: datetime | None = None
    last_error: str | None = None
    line_message_id: str | None = None


class CaseStatus(enum.StrEnum):
    """Where a case is: waiting for a responder, with one, or closed."""

    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"


OPEN_CASE = (CaseStatus.WAITING, CaseStatus.ACTIVE)
RISK_LEVELS = ("none", "concern", "high")


def risk_rank(level: str) -> int:
    """Return 0, 1 or 2 for none, concern, high (unknown levels count as concern)."""
    return RISK_LEVELS.index(level) if level in RISK_LEVELS else 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(slots=True)
class Case:
    """What responders work on: a request for a person, from opening to the closing record.

    A conversation holds at most one case at a time (the open one, or the last closed one);
    closed cases are also archived whole (``TurnCommit.archive``) for the records.
    ``mode`` says how it opened: ``handoff`` (相談員と話す), ``vent`` (モヤモヤを話す) or
    ``message`` (free text the bot could not answer). ``night`` marks a case that arrived
    outside service hours; ``night_acked_until`` is the opening the user was told about,
    so later night messages before it get no second acknowledgement.
    """

    id: str
    status: CaseStatus
    topic: str  # youth, mothers, general
    mode: str  # handoff, vent, message
    opened_at: datetime
    waiting_since: datetime
    risk: str = "none"
    night: bool = False
    assigned_to: str | None = None
    assigned_name: str | None = None
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    last_message_at: datetime | None = None
    staff_replied_at: datetime | None = None
    night_acked_until: datetime | None = None
    morning_sent_at: datetime | None = None
    alerted_at: datetime | None = None
    oncall_alerted_at: datetime | None = None
    attention: list[str] = field(default_factory=list)  # why responders should look (reasons)
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """True while the case waits for or is with a responder."""
        return self.status in OPEN_CASE

    def to_dict(self) -> dict[str, Any]:
        """Return the case as JSON-ready data (datetimes as ISO 8601 strings)."""
        return {
            "id": self.id,
            "status": str(self.status),
            "topic": self.topic,
            "mode": self.mode,
            "opened_at": _iso(self.opened_at),
            "waiting_since": _iso(self.waiting_since),
            "risk": self.risk,
            "night": self.night,
            "assigned_to": self.assigned_to,
            "assigned_name": self.assigned_name,
            "claimed_at": _iso(self.claimed_at),
            "closed_at": _iso(self.closed_at),
            "last_message_at": _iso(self.last_message_at),
            "staff_replied_at": _iso(self.staff_replied_at),
            "night_acked_until": _iso(self.night_acked_until),
            "morning_sent_at": _iso(self.morning_sent_at),
            "alerted_at": _iso(self.alerted_at),
            "oncall_alerted_at": _iso(self.oncall_alerted_at),
            "attention": list(self.attention),
            "record": dict(self.record),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Case:
        """Rebuild a case saved with ``to_dict``."""
        opened = _from_iso(data["opened_at"])
        assert opened is not None
        return cls(
            id=data["id"],
            status=CaseStatus(data["status"]),
            topic=data["topic"],
            mode=data["mode"],
            opened_at=opened,
            waiting_since=_from_iso(data.get("waiting_since")) or opened,
            risk=data.get("risk", "none"),
            night=bool(data.get("night")),
            assigned_to=data.get("assigned_to"),
            assigned_name=data.get("assigned_name"),
            claimed_at=_from_iso(data.get("claimed_at")),
            closed_at=_from_iso(data.get("closed_at")),
            last_message_at=_from_iso(data.get("last_message_at")),
            staff_replied_at=_from_iso(data.get("staff_replied_at")),
            night_acked_until=_from_iso(data.get("night_acked_until")),
            morning_sent_at=_from_iso(data.get("morning_sent_at")),
            alerted_at=_from_iso(data.get("alerted_at")),
            oncall_alerted_at=_from_iso(data.get("oncall_alerted_at")),
            attention=[str(reason) for reason in data.get("attention") or []],
            record=dict(data.get("record") or {}),
        )

    def copy(self) -> Case:
        """Return an independent copy (turns change copies, never the loaded record)."""
        return Case.from_dict(self.to_dict())


@dataclass(slots=True)
class Conversation:
    """One user's conversation with the bot: where the flow stands, and what it remembers.

    ``version`` is 0 for a conversation never saved; each committed turn adds one.
    ``applied_events`` holds the ids of the last events applied, so that an event whose
    turn committed but whose inbox row was not yet marked done is never applied twice.
    ``ref`` is the conversation's id for staff: random, so that nothing shown in the
    operator view leads back to the LINE user id. ``case`` is the open or last closed case.
    """

    user_id: str
    flow: str
    state: str
    version: int = 0
    data: ConversationData = field(default_factory=ConversationData)
    blocked: bool = False
    applied_events: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    ref: str = ""
    case: Case | None = None


@dataclass(slots=True)
class LoggedMessage:
    """One entry of the conversation log that staff read: a user's message or the bot's."""

    id: str
    user_id: str
    direction: str  # "in" or "out"
    kind: str  # text, sticker, image, video, audio, file, location, postback, follow, ...
    text: str | None
    at: datetime
    event_id: str | None = None
    line_message_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    redacted: bool = False


@dataclass(slots=True)
class OutboxRow:
    """One LINE request waiting to be made: 1 to 5 message objects for one user.

    Rows of a user are sent in ``(version, index)`` order: ``version`` is the conversation
    version the row was committed with. ``retry_key`` is fixed when the row is created and
    sent as ``X-Line-Retry-Key`` on every push attempt, so LINE delivers it once.
    ``reply_attempted`` records that a reply was tried with an unknown outcome (timeout,
    crash): a later "Invalid reply token" then most likely means the token was used.
    """

    id: str
    user_id: str
    version: int
    index: int
    messages: list[dict[str, Any]]
    retry_key: str
    created_at: datetime
    next_attempt_at: datetime
    reply_token: str | None = None
    reply_until: datetime | None = None
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    reply_attempted: bool = False
    sent_at: datetime | None = None
    sent_via: str | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """What happened when we called LINE for one outbox row."""

    outbox_id: str
    at: datetime
    via: str  # "reply" or "push"
    outcome: str  # sent, duplicate, invalid_reply_token, retry, quota, blocked, failed, unknown
    status: int | None = None
    detail: str | None = None
    request_id: str | None = None


@dataclass(slots=True)
class Job:
    """A durable timed job; ``key`` (optional) makes scheduling idempotent."""

    id: str
    kind: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    status: JobStatus = JobStatus.PENDING
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_error: str | None = None


@dataclass(slots=True)
class TurnCommit:
    """Everything one turn changes, saved atomically or not at all.

    ``conversation`` carries the new state with ``version`` still the version it was
    loaded at; the store saves it as ``version + 1`` only if the stored version is
    unchanged. Outbox rows must carry that new version.
    """

    conversation: Conversation
    now: datetime
    event_id: str | None = None
    messages: list[LoggedMessage] = field(default_factory=list)
    outbox: list[OutboxRow] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    redact_line_message_ids: list[str] = field(default_factory=list)
    archive: list[Case] = field(default_factory=list)


@dataclass(slots=True)
class StaffMember:
    """A responder, supervisor or admin who signs in to the operator view."""

    id: str
    login: str
    display_name: str
    role: str  # responder, supervisor, admin
    password_hash: str
    created_at: datetime
    active: bool = True
    on_duty: bool = False
    topics: list[str] = field(default_factory=list)  # a responder's topics; empty: all
    last_seen_at: datetime | None = None  # the last sign of the person at the operator view


@dataclass(frozen=True, slots=True)
class StaffSession:
    """A signed-in staff member's session; the store keeps a hash, never the cookie value."""

    token_hash: str
    staff_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class ContentVersion:
    """One saved version of an admin-editable content file (a flow, an FAQ file, ...)."""

    kind: str
    name: str
    version: int
    body: str
    sha256: str
    source: str
    created_at: datetime
    active: bool = False


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One staff action worth answering for later (reading a conversation, changing content)."""

    id: str
    at: datetime
    actor: str
    action: str
    target: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
