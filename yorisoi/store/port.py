"""The old home of the storage port, kept only until its callers import from the new one.

Records, enums and errors now live in ``records.py``, the role-sized Protocols and ``Store``
in ``ports.py``, and the applied-events window in ``shaping.py``. Every name that was
importable from here still is; this module goes once the callers have moved.
"""

from __future__ import annotations

from yorisoi.store.ports import Store
from yorisoi.store.records import (
    OPEN_CASE,
    RISK_LEVELS,
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
    StoreError,
    StoreUnavailable,
    TurnCommit,
    risk_rank,
)
from yorisoi.store.shaping import APPLIED_EVENTS_KEPT

__all__ = [
    "APPLIED_EVENTS_KEPT",
    "OPEN_CASE",
    "RISK_LEVELS",
    "UNFINISHED_OUTBOX",
    "AlreadyExists",
    "AuditEntry",
    "Case",
    "CaseStatus",
    "ContentVersion",
    "Conversation",
    "DeliveryAttempt",
    "EventStatus",
    "InboundEvent",
    "Job",
    "JobStatus",
    "LoggedMessage",
    "OutboxRow",
    "OutboxStatus",
    "StaffMember",
    "StaffSession",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredEvent",
    "TurnCommit",
    "risk_rank",
]
