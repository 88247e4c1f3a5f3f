"""The storage ports: what each part of yorisoi needs from a database, one Protocol per role.

``Store`` combines them all with the lifecycle (close, ping); ``create_app`` passes a
``Store`` around, and a part that needs only one role may say so in its signature
(``OutboxStore`` for the sender, ``JobStore`` for the scheduler). Methods are named after
what the bot does (``claim_outbox_heads``), not after queries, so that each adapter can
choose how to keep the promise atomically. Two adapters implement every port
(``sqlite/``, ``mongo/``) and one contract suite (``tests/store/``) runs against both.

All datetimes crossing a port are aware and in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from yorisoi.store.queries import CasePage, CaseQuery, QueueCounts
from yorisoi.store.records import (
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
    TurnCommit,
)


class InboxStore(Protocol):
    """The inbox: LINE events stored once, processed in order per user under a lease."""

    async def add_events(self, events: Sequence[InboundEvent]) -> list[str]:
        """Store events durably, ignoring ids already stored; return the ids newly added."""

    async def users_with_pending_events(self, limit: int = 100) -> list[str]:
        """Return users that have pending inbox events, oldest waiting first."""

    async def pending_events(self, user_id: str, limit: int = 20) -> list[StoredEvent]:
        """Return a user's pending events in ``timestamp`` order (then arrival order)."""

    async def finish_event(
        self, event_id: str, status: EventStatus, now: datetime, error: str | None = None
    ) -> None:
        """Mark an event done, ignored or failed without a turn (no conversation change)."""

    async def finish_applied_event(self, event_id: str, now: datetime) -> None:
        """Finish an event whose turn is already in the conversation (recovery after a crash)."""

    async def inbox_counts(self) -> dict[str, int]:
        """Return the number of inbox events per status."""

    async def retry_event_later(self, event_id: str, error: str, not_before: datetime) -> int:
        """Record a failed processing attempt; return the number of attempts so far."""

    async def acquire_user_lease(
        self, user_id: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take (or renew) the right to process a user's events; False if another holds it."""

    async def release_user_lease(self, user_id: str, owner: str) -> None:
        """Give the lease back, if we hold it."""


class ConversationStore(Protocol):
    """Conversations: loaded by user or staff-facing ref, changed only by committed turns."""

    async def load_conversation(self, user_id: str) -> Conversation | None:
        """Return the stored conversation, or None for a user never seen."""

    async def commit_turn(self, commit: TurnCommit) -> bool:
        """Save a turn atomically; False (and nothing saved) if the version moved on."""

    async def is_blocked(self, user_id: str) -> bool:
        """Return True if the user has blocked the account (unfollowed)."""

    async def conversation_messages(self, user_id: str, limit: int = 200) -> list[LoggedMessage]:
        """Return the newest ``limit`` log entries of a conversation, oldest first."""

    async def conversation_by_ref(self, ref: str) -> Conversation | None:
        """Return the conversation with this staff-facing id."""


class CaseQueries(Protocol):
    """The cases responders work on: queue lists, counts and the archive of closed cases."""

    async def count_cases(self, status: CaseStatus, *, topics: frozenset[str] | None = None) -> int:
        """Return how many conversations have a case with this status (and one of ``topics``)."""

    async def queue_counts(self) -> QueueCounts:
        """Return the open cases counted by status, topic and risk."""

    async def find_cases(
        self, query: CaseQuery, *, after: str | None = None, limit: int = 50
    ) -> CasePage:
        """Return one page of a queue view, after the case ``after`` names, and its total.

        Open cases come by risk (high first), then waiting since (oldest first); closed
        cases newest closed first. The viewer's visibility is part of the query, so every
        case they may see is reachable by paging and no other case is returned.
        """

    # Kept although only tests call it today: the records and statistics work (issue 16)
    # reads closed cases from the archive.
    async def archived_cases(self, limit: int = 100) -> list[Case]:
        """Return closed cases from the archive, newest closed first."""


class OutboxStore(Protocol):
    """The outbox: LINE requests committed with their turn, claimed and sent in order."""

    async def claim_outbox_heads(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 50
    ) -> list[OutboxRow]:
        """Claim the first unfinished row of each user if it is due; later rows wait."""

    async def set_reply_attempted(
        self, row_id: str, attempted: bool, *, drop_token: bool = False
    ) -> None:
        """Record whether a reply attempt of unknown outcome is pending; optionally forget
        the reply token (LINE refused it) so the row goes by push from now on."""

    async def finish_outbox(
        self,
        row_id: str,
        status: OutboxStatus,
        now: datetime,
        via: str | None = None,
        error: str | None = None,
    ) -> None:
        """Mark a row sent, skipped or failed for good."""

    async def reschedule_outbox(
        self, row_id: str, status: OutboxStatus, next_attempt_at: datetime, error: str | None
    ) -> None:
        """Put a claimed row back (pending or waiting for quota) to try again later."""

    async def record_delivery(self, attempt: DeliveryAttempt) -> None:
        """Append one delivery attempt to the row's history."""

    async def outbox_rows(self, user_id: str) -> list[OutboxRow]:
        """Return all visible outbox rows of a user in send order."""

    async def outbox_counts(self) -> dict[str, int]:
        """Return the number of outbox rows per status."""


class JobStore(Protocol):
    """Durable timed jobs (morning replies, on-call alerts), claimed under a lease."""

    async def schedule_job(self, job: Job) -> bool:
        """Store a job; False if a pending job with the same key exists already."""

    async def claim_due_jobs(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 20
    ) -> list[Job]:
        """Claim due pending jobs, and running jobs whose lease has expired."""

    async def finish_job(self, job_id: str, status: JobStatus, error: str | None = None) -> None:
        """Mark a claimed job done or failed."""

    async def retry_job(self, job_id: str, due_at: datetime, error: str) -> None:
        """Put a claimed job back as pending, due at ``due_at``."""


class StaffStore(Protocol):
    """Staff accounts, their presence and on-duty switch, and their signed-in sessions."""

    async def add_staff(self, member: StaffMember) -> None:
        """Store a staff member; AlreadyExists if the login is taken."""

    async def staff_by_login(self, login: str) -> StaffMember | None:
        """Return the staff member with this login."""

    async def list_staff(self) -> list[StaffMember]:
        """Return all staff members ordered by login."""

    async def staff_by_id(self, staff_id: str) -> StaffMember | None:
        """Return the staff member with this id."""

    async def set_on_duty(self, staff_id: str, on_duty: bool) -> None:
        """Record whether a staff member is on duty now."""

    async def touch_staff(self, staff_id: str, at: datetime) -> None:
        """Record that the staff member was present at ``at`` (a request, an open socket)."""

    async def create_session(self, session: StaffSession) -> None:
        """Store a new staff session."""

    async def get_session(self, token_hash: str, now: datetime) -> StaffSession | None:
        """Return the session for this token hash unless it is unknown or expired."""

    async def delete_session(self, token_hash: str) -> None:
        """End a session (sign-out)."""


class ContentStore(Protocol):
    """Versions of admin-editable content files (flows, FAQ, texts, ...)."""

    async def save_content_version(
        self, kind: str, name: str, body: str, sha256: str, source: str, now: datetime
    ) -> ContentVersion:
        """Store a new version of a content file and make it the active one."""

    async def active_content(self, kind: str) -> list[ContentVersion]:
        """Return the active version of every content file of a kind, ordered by name."""

    async def content_versions(self, kind: str, name: str) -> list[ContentVersion]:
        """Return all versions of one content file, newest first."""


class AuditStore(Protocol):
    """The append-only audit log, and retention of what can hold a person's words."""

    async def append_audit(self, entry: AuditEntry) -> None:
        """Append an entry to the audit log (never updated, never deleted)."""

    # Kept although only tests call it today: admins read the audit log (issues 15, 16).
    async def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        """Return the newest audit entries, newest first."""

    async def purge(self, messages_before: datetime, inbox_before: datetime) -> dict[str, int]:
        """Delete log entries and finished inbox events older than the cut-offs."""


class Store(
    InboxStore,
    ConversationStore,
    CaseQueries,
    OutboxStore,
    JobStore,
    StaffStore,
    ContentStore,
    AuditStore,
    Protocol,
):
    """Everything yorisoi needs from a database, and the database's lifecycle."""

    async def close(self) -> None:
        """Release connections."""

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers."""


class Inspection(Protocol):
    """Reads that only tests and diagnosis need; every adapter has them, ``Store`` does not."""

    async def get_event(self, event_id: str) -> StoredEvent | None:
        """Return one inbox event, whatever its status."""

    async def deliveries(self, outbox_id: str) -> list[DeliveryAttempt]:
        """Return a row's delivery attempts, oldest first."""

    async def list_cases(self, status: CaseStatus, limit: int = 200) -> list[Conversation]:
        """Return the first ``limit`` cases of a status in queue order (the app pages with
        ``find_cases``, which has no silent cap and applies who may see what)."""
