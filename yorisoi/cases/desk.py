"""The bot's side of cases: open a case in a turn, acknowledge the night, flag risk.

The bot's turns (``yorisoi.turns.bot``) and the timed jobs (``yorisoi.cases.jobs``) call
these inside a turn they are building: nothing here loads or commits a conversation, it only
changes the turn it is given (``TurnCommit``), so the change lands with the rest of the
turn or not at all.

While a case is open the bot steps aside: the user's messages reach the responders and the
bot says nothing on its own, except the one night acknowledgement (and, from the safety net,
crisis contacts).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from yorisoi.cases.rules import present_on_duty, someone_sees, topic_of
from yorisoi.content import ContentLibrary
from yorisoi.identity import pseudonym
from yorisoi.operators.hours import NoOpeningFound
from yorisoi.safety.alerts import risk_alert_job
from yorisoi.states.engine import FlowEngine
from yorisoi.states.turn import TurnContext
from yorisoi.store.ports import Store
from yorisoi.store.records import Case, CaseStatus, Conversation, Job, TurnCommit, risk_rank

log = structlog.get_logger("yorisoi.cases")

MORNING_JOB = "morning_reply"
CLAIM_TIMEOUT_JOB = "claim_timeout"
ONCALL_QUIET = timedelta(minutes=30)  # one on-call alert per case within this time


class CaseDesk:
    """Opens cases in the bot's turns, acknowledges nights and books the alerts."""

    def __init__(
        self,
        store: Store,
        content: ContentLibrary,
        *,
        secret_key: str,
        claim_timeout: timedelta,
        crisis_lines: Callable[[datetime], str] = lambda now: "",
        oncall: bool = False,
    ) -> None:
        self._store = store
        self._content = content
        self._secret = secret_key
        self._claim_timeout = claim_timeout
        self._crisis_lines = crisis_lines
        self._oncall = oncall

    def crisis_lines(self, now: datetime) -> str:
        """Return the round-the-clock crisis lines, as the bot's texts show them."""
        return self._crisis_lines(now)

    async def context(self, now: datetime, *, needs_queue: bool) -> TurnContext:
        """Look up what the flow's conditions and texts need: hours, who is on duty."""
        hours = self._content.hours
        open_now = hours.is_open(now)
        on_duty = present_on_duty(await self._store.list_staff(), now)
        placeholders = {"crisis_lines": self._crisis_lines(now)}
        if not open_now:
            placeholders["next_opening"] = self.describe_opening(now)
        if needs_queue and open_now:
            # A true count from an index, only on turns whose texts may say it.
            waiting = await self._store.count_cases(CaseStatus.WAITING)
            placeholders["waiting_count"] = str(waiting)
        return TurnContext(
            open_now=open_now,
            responders_on_duty=len(on_duty),
            on_duty=on_duty,
            placeholders=placeholders,
            faq=self._content.faq,
            matching=self._content.screening,
        )

    @staticmethod
    def someone_sees(context: TurnContext, topic: str) -> bool:
        """True if someone on duty would see a case of this topic in their queue."""
        return someone_sees(context.on_duty, topic)

    def describe_opening(self, now: datetime) -> str:
        """Say when the service opens next, in the words the bot uses."""
        try:
            return self._content.hours.describe_next_opening(now)
        except NoOpeningFound:
            return "相談員が もどって きて"

    def open_case(
        self, commit: TurnCommit, mode: str, context: TurnContext, engine: FlowEngine
    ) -> list[dict[str, Any]]:
        """Open a case in this turn; return what the bot adds (the night acknowledgement)."""
        conversation, now = commit.conversation, commit.now
        case = conversation.case
        if case is not None and case.is_open:
            return self.user_wrote(commit, context, engine)
        case = Case(
            id=uuid.uuid4().hex,
            status=CaseStatus.WAITING,
            topic=topic_of(conversation.data, mode),
            mode=mode,
            opened_at=now,
            waiting_since=now,
            risk=conversation.data.risk or "none",
            night=not context.open_now,
            last_message_at=now,
        )
        conversation.case = case
        if context.open_now:
            commit.jobs.append(
                Job(
                    id=uuid.uuid4().hex,
                    kind=CLAIM_TIMEOUT_JOB,
                    due_at=now + self._claim_timeout,
                    payload={"user_id": conversation.user_id, "case_id": case.id},
                    key=f"claim:{case.id}",
                )
            )
            if context.responders_on_duty == 0:
                case.alerted_at = now
            return []
        return self.night(commit, case, context, engine)

    def user_wrote(
        self, commit: TurnCommit, context: TurnContext, engine: FlowEngine
    ) -> list[dict[str, Any]]:
        """A message while a case is open: the responders read it; the bot stays quiet,
        except once a night (the acknowledgement)."""
        case = commit.conversation.case
        assert case is not None
        case.last_message_at = commit.now
        if context.open_now:
            return []
        return self.night(commit, case, context, engine)

    def night(
        self, commit: TurnCommit, case: Case, context: TurnContext, engine: FlowEngine
    ) -> list[dict[str, Any]]:
        """Acknowledge once per night and book the morning reply (one per user per morning)."""
        now = commit.now
        if case.night_acked_until is not None and case.night_acked_until > now:
            return []  # told already; the morning reply is booked
        hours = self._content.hours
        opening: datetime | None
        morning: datetime | None
        try:
            opening = hours.next_opening(now)
            morning = hours.morning_reply_at(now)
        except NoOpeningFound:
            opening = morning = None
        case.night = True
        case.night_acked_until = opening
        if morning is not None:
            local_day = morning.astimezone(hours.timezone).date().isoformat()
            user_id = commit.conversation.user_id
            commit.jobs.append(
                Job(
                    id=uuid.uuid4().hex,
                    kind=MORNING_JOB,
                    due_at=morning,
                    payload={"user_id": user_id, "case_id": case.id, "since": now.isoformat()},
                    key=f"morning:{user_id}:{local_day}",
                )
            )
        return [engine.text("night_ack", context)]

    @staticmethod
    def raise_risk(conversation: Conversation, level: str) -> None:
        """Show the conversation's risk level on its open case (it only ever goes up)."""
        case = conversation.case
        if case is not None and case.is_open and risk_rank(level) > risk_rank(case.risk):
            case.risk = level

    @staticmethod
    def note_attention(conversation: Conversation, reasons: tuple[str, ...]) -> None:
        """Mark the open case as needing a responder's attention (repeated concern), with why."""
        case = conversation.case
        if case is not None and case.is_open:
            case.attention = sorted({*case.attention, *reasons})

    def flag_high(self, commit: TurnCommit, *, staffed: bool, event_id: str | None) -> None:
        """Flag the case ``high`` (first in the queue) and, when nobody is on duty to see it
        in the operator view, book the alert to the on-call contact."""
        conversation = commit.conversation
        case = conversation.case
        if case is None:
            return
        case.risk = "high"
        if not staffed:
            self.book_oncall(commit, event_id)

    def after_crisis(
        self,
        commit: TurnCommit,
        engine: FlowEngine,
        *,
        worse: bool,
        signs: bool,
        staffed: bool,
        event_id: str | None,
    ) -> list[dict[str, Any]]:
        """Answer a message after the crisis reply, before a responder has taken the case.

        Never silence, and never the whole crisis reply again: one short line. Danger again
        (``worse``) brings 119 in one line and an on-call alert; signs that the body is giving
        way or that an act is under way (``signs``) send that alert even inside the quiet
        time of on-call alerts.
        """
        case = commit.conversation.case
        assert case is not None
        case.last_message_at = commit.now
        if not worse:
            return [engine.text("after_crisis", TurnContext())]
        if not staffed:
            self.book_oncall(commit, event_id, force=signs)
        return [engine.text("after_crisis_worse", TurnContext())]

    def book_oncall(self, commit: TurnCommit, key: str | None, *, force: bool = False) -> None:
        """Book the alert to the on-call contact (when the admin configured one).

        At most one per case in ``ONCALL_QUIET``: a person writing five frightened lines in
        a row needs one person woken, not five alerts that teach them to mute the phone.
        ``force`` sends it anyway: after the crisis reply, signs that the body is giving way.
        """
        conversation = commit.conversation
        case = conversation.case
        if not self._oncall:
            log.warning("cases.no_oncall_contact", ref=conversation.ref)
            return
        if case is not None:
            if (
                not force
                and case.oncall_alerted_at is not None
                and commit.now - case.oncall_alerted_at < ONCALL_QUIET
            ):
                return
            case.oncall_alerted_at = commit.now
        commit.jobs.append(
            risk_alert_job(
                conversation_ref=conversation.ref,
                pseudonym=pseudonym(conversation.user_id, self._secret),
                level="high",
                at=commit.now,
                event_id=key,
            )
        )
