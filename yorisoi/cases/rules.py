"""The rules of cases, with no I/O: who may act on a case, and where a case goes.

Who may *see* a case is the one rule of ``yorisoi.domain.people``.

A case is the part of a conversation responders work on (see ``yorisoi.cases``). Everything
here is a plain function of records, so the bot's turns, the staff actions, the operator
API and the live hub all ask the same questions the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from yorisoi.cases.errors import (
    CaseConflict,
    CaseForbidden,
    CaseNotFound,
    already_closed,
    claimed_by_other,
)
from yorisoi.domain.data import ConversationData
from yorisoi.domain.people import TOPICS, YOUTH_AGE_BANDS, is_supervising, sees_topic, visible_to
from yorisoi.store.records import Case, CaseStatus, Conversation, StaffMember

# On duty counts while the person was seen lately: a request, or an open operator view
# (its socket re-checks every minute). Closing the laptop ends it within this time.
PRESENCE = timedelta(minutes=3)
MAX_SENDER_NAME = 20  # LINE's limit for sender.name


def topic_of(data: ConversationData, mode: str) -> str:
    """Return the queue a new case goes to: the mothers' line, young people, or general."""
    if data.topic in TOPICS:
        return data.topic
    if mode == "vent":
        return "mothers"
    if data.intake.age_band in YOUTH_AGE_BANDS:
        return "youth"
    return "general"


def present_on_duty(members: Iterable[StaffMember], now: datetime) -> tuple[StaffMember, ...]:
    """Return the members who are on duty and were seen at the operator view lately."""
    return tuple(
        m
        for m in members
        if m.active
        and m.on_duty
        and m.last_seen_at is not None
        and now - m.last_seen_at <= PRESENCE
    )


def someone_sees(on_duty: Iterable[StaffMember], topic: str) -> bool:
    """True if someone on duty would see a case of this topic in their queue."""
    return any(sees_topic(m, topic) for m in on_duty)


def check_visible(member: StaffMember, conversation: Conversation) -> None:
    """Raise unless the conversation has a case this member may see."""
    if conversation.case is None:
        raise CaseNotFound()
    if not visible_to(member, conversation):
        raise CaseForbidden("forbidden", "この相談を 見る 権限が ありません。")


def check_open(case: Case) -> None:
    """Raise if the case is closed already."""
    if not case.is_open:
        raise already_closed()


def check_can_close(case: Case, member: StaffMember) -> None:
    """Raise unless this member may close the case now."""
    check_open(case)
    if case.assigned_to not in (None, member.id) and not is_supervising(member):
        raise claimed_by_other(case.assigned_name)
    if case.assigned_to is None and not is_supervising(member):
        # Closing a case nobody took would drop a person who is still waiting.
        raise CaseConflict("not_claimed", "先に「担当する」を押してから 終了してください。")


def assign(case: Case, member: StaffMember, now: datetime) -> None:
    """Give the case to this member: it is active with them from now."""
    case.status = CaseStatus.ACTIVE
    case.assigned_to = member.id
    case.assigned_name = member.display_name
    case.claimed_at = now


def sender_name(member: StaffMember) -> str:
    """Return the name LINE shows above a responder's message (at most 20 characters)."""
    name = member.display_name.strip() or "相談員"
    return name[:MAX_SENDER_NAME]
