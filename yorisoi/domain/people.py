"""Who is who: staff roles and topics, the age bands of intake, and who may see a case.

The visibility rule lives here once. The operator API (which cases a person may list and
open), the live hub (which events a person hears) and the bot (is anyone on duty who would
see this case?) all ask it.
"""

from __future__ import annotations

from yorisoi.store.records import Conversation, StaffMember

ROLES = ("responder", "supervisor", "admin")  # lowest first: each role can do what those before can
TOPICS = ("youth", "mothers", "general")  # the queues: young people, the mothers' line, general
SUPERVISING = frozenset({"supervisor", "admin"})

# Intake's age bands (states/default.yaml asks them); "declined" is always an answer.
DECLINED = "declined"
MINOR_AGE_BANDS = frozenset({"under13", "13-15", "16-17"})
YOUTH_AGE_BANDS = MINOR_AGE_BANDS | {"18-19", "20s"}


def at_least(role: str, minimum: str) -> bool:
    """True if ``role`` is ``minimum`` or above (unknown roles are below everything)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)


def is_minor(age_band: str | None) -> bool | None:
    """True under 18, False for an adult band, None when unknown or declined."""
    if age_band in (None, DECLINED):
        return None
    return age_band in MINOR_AGE_BANDS


def is_supervising(member: StaffMember) -> bool:
    """True for supervisors and admins, who see and may take over every case."""
    return member.role in SUPERVISING


def sees_topic(member: StaffMember, topic: str | None) -> bool:
    """True if cases of this topic are in the member's queue (all topics when none are set)."""
    return is_supervising(member) or not member.topics or topic in member.topics


def visible_to(member: StaffMember, conversation: Conversation) -> bool:
    """True if this staff member may see this conversation.

    Supervisors and admins see all; a responder sees the cases of their topics (all topics
    when none are set) and any case assigned to them.
    """
    if is_supervising(member):
        return True
    case = conversation.case
    if case is None:
        return False
    return case.assigned_to == member.id or sees_topic(member, case.topic)
