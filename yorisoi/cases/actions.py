"""Staff actions on a case: claim, hand over, reply, note, close.

Each action is a turn of the conversation (``yorisoi.turns.unit``), committed with the same
version check as the bot's turns: a responder's reply and the bot's answer to a message that
arrived at the same moment can never both be built on the same version, and every message
that leaves is an outbox row of that commit (commit first, then send). Who may do what is
decided by ``yorisoi.cases.rules``; a refusal is a ``CaseError`` the API maps to HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yorisoi.cases.errors import (
    CaseConflict,
    CaseForbidden,
    CaseInputError,
    CaseNotFound,
    busy,
    claimed_by_other,
)
from yorisoi.cases.rules import (
    assign,
    check_can_close,
    check_open,
    check_visible,
    sender_name,
)
from yorisoi.content import ContentLibrary
from yorisoi.domain.people import is_supervising
from yorisoi.line.events import LineEvent
from yorisoi.states.turn import Turn
from yorisoi.store.ports import Store
from yorisoi.store.records import Case, CaseStatus, Conversation, LoggedMessage, StaffMember
from yorisoi.turns.unit import Change, Changes, Draft, TurnLost

MAX_STAFF_TEXT = 5000  # one LINE text message
MAX_NOTE = 5000


@dataclass(frozen=True, slots=True)
class StaffTurn:
    """What a staff action returns: the conversation after the commit, and what was logged."""

    conversation: Conversation
    logged: tuple[LoggedMessage, ...] = ()


class StaffActions:
    """Carries out what responders and supervisors do to a case."""

    def __init__(self, store: Store, changes: Changes, content: ContentLibrary) -> None:
        self._store = store
        self._changes = changes
        self._content = content

    async def find(self, ref: str, member: StaffMember) -> Conversation:
        """Return the conversation if it exists and this staff member may see it."""
        conversation = await self._store.conversation_by_ref(ref)
        if conversation is None:
            raise CaseNotFound()
        check_visible(member, conversation)
        return conversation

    async def claim(self, ref: str, member: StaffMember, *, take_over: bool = False) -> StaffTurn:
        """Take a waiting case (or, for a supervisor, take over someone else's)."""

        def change(draft: Draft, case: Case) -> None:
            if case.assigned_to not in (None, member.id):
                if not take_over:
                    raise claimed_by_other(case.assigned_name)
                if not is_supervising(member):
                    raise CaseForbidden("forbidden", "引き継ぎは スーパーバイザーが できます。")
            newly = case.assigned_to != member.id
            assign(case, member, draft.now)
            if newly and not draft.conversation.blocked:
                # True at this moment: a named person has taken it (not that they have read).
                draft.say([claimed_notice(member)])

        return await self._act(ref, member, change)

    async def assign(self, ref: str, member: StaffMember, target: StaffMember) -> StaffTurn:
        """A supervisor hands a case to a colleague."""
        if not is_supervising(member):
            raise CaseForbidden("forbidden", "担当の 変更は スーパーバイザーが できます。")
        if not target.active:
            raise CaseInputError("inactive_staff", "その スタッフは いま 使えません。")

        def change(draft: Draft, case: Case) -> None:
            assign(case, target, draft.now)

        return await self._act(ref, member, change)

    async def send(
        self, ref: str, member: StaffMember, text: str, *, confirm_other: bool = False
    ) -> StaffTurn:
        """Send a responder's message to the user (by push, with their name as the sender)."""
        body = text.strip("\n")
        if not body.strip():
            raise CaseInputError("empty", "メッセージが 空です。")
        if len(body) > MAX_STAFF_TEXT:
            raise CaseInputError("too_long", f"メッセージは {MAX_STAFF_TEXT} 文字までです。")

        def change(draft: Draft, case: Case) -> None:
            if draft.conversation.blocked:
                raise CaseConflict("blocked", "この 相談者は 友だちを やめています。送れません。")
            if case.assigned_to is None:
                assign(case, member, draft.now)  # answering a waiting case takes it
            elif case.assigned_to != member.id and not confirm_other:
                raise claimed_by_other(case.assigned_name)
            case.staff_replied_at = draft.now
            case.last_message_at = draft.now
            message = {"type": "text", "text": body, "sender": {"name": sender_name(member)}}
            draft.say([message], author={"staff_id": member.id, "name": member.display_name})

        return await self._act(ref, member, change)

    async def note(self, ref: str, member: StaffMember, text: str) -> StaffTurn:
        """Add an internal note: kept with the thread, never sent to the user."""
        body = text.strip()
        if not body:
            raise CaseInputError("empty", "メモが 空です。")
        if len(body) > MAX_NOTE:
            raise CaseInputError("too_long", f"メモは {MAX_NOTE} 文字までです。")

        def change(draft: Draft, case: Case) -> None:
            draft.log(
                LoggedMessage(
                    id=f"note:{uuid.uuid4().hex}",
                    user_id=draft.conversation.user_id,
                    direction="note",
                    kind="note",
                    text=body,
                    at=draft.now,
                    payload={"author": {"staff_id": member.id, "name": member.display_name}},
                )
            )
            draft.publish = True  # a note on a closed case is news to whoever has it open

        return await self._act(ref, member, change, open_only=False)

    async def close(self, ref: str, member: StaffMember, record: dict[str, Any]) -> StaffTurn:
        """Close a case with its record; the bot comes back (flow trigger ``operator_closed``)."""

        async def change(draft: Draft) -> None:
            conversation = draft.conversation
            case = conversation.case
            assert case is not None  # check_visible saw it
            check_can_close(case, member)
            case.status = CaseStatus.CLOSED
            case.closed_at = draft.now
            case.record = {
                **record,
                "closed_by": member.id,
                "closed_by_name": member.display_name,
            }
            draft.commit.archive.append(case.copy())
            if not conversation.blocked:
                engine = self._content.engine(conversation.flow)
                turn = Turn(
                    event=_internal_event(conversation.user_id, draft.now),
                    now=draft.now,
                    state=conversation.state,
                    data=conversation.data,
                )
                await engine.run(turn, trigger="operator_closed")
                conversation.state = turn.state
                draft.say(turn.messages)

        return await self._apply(ref, member, change)

    async def _act(
        self,
        ref: str,
        member: StaffMember,
        change: Callable[[Draft, Case], None],
        *,
        open_only: bool = True,
    ) -> StaffTurn:
        """Apply a staff change to the case of ``ref`` (open cases only, unless told)."""

        async def on_case(draft: Draft) -> None:
            case = draft.conversation.case
            assert case is not None  # check_visible saw it
            if open_only:
                check_open(case)
            change(draft, case)

        return await self._apply(ref, member, on_case)

    async def _apply(self, ref: str, member: StaffMember, change: Change) -> StaffTurn:
        try:
            outcome = await self._changes.apply(
                change, ref=ref, check=lambda found: check_visible(member, found)
            )
        except TurnLost:
            raise busy() from None
        if outcome.conversation is None:
            raise CaseNotFound()
        return StaffTurn(outcome.conversation, outcome.logged)


def claimed_notice(member: StaffMember) -> dict[str, Any]:
    """Return what the user is told when a responder takes their case, with the name."""
    name = sender_name(member)
    text = f"相談員の {name}さんが 担当に なりました。これから お返事します。"
    return {"type": "text", "text": text}


def _internal_event(user_id: str, now: datetime) -> LineEvent:
    """Return the event a staff action runs through the flow (it has no LINE event)."""
    return LineEvent(
        event_id=f"internal:{uuid.uuid4().hex}",
        type="internal",
        timestamp_ms=int(now.timestamp() * 1000),
        user_id=user_id,
    )
