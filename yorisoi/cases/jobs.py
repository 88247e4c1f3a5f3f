"""The timed jobs of cases: the morning reply to a night message, and the claim timeout.

Both are turns of the conversation (``yorisoi.turns.unit``) and both are idempotent: a job
that runs twice, or on two workers, finds the case already marked and sends nothing more.
"""

from __future__ import annotations

from datetime import datetime

from yorisoi.cases.desk import CaseDesk
from yorisoi.content import ContentLibrary
from yorisoi.states.turn import TurnContext
from yorisoi.store.records import CaseStatus, Job
from yorisoi.turns.unit import Changes, Draft


class CaseJobs:
    """Runs the timed jobs of cases as turns of their conversations."""

    def __init__(self, changes: Changes, content: ContentLibrary, desk: CaseDesk) -> None:
        self._changes = changes
        self._content = content
        self._desk = desk

    async def morning_reply(self, job: Job) -> None:
        """Send the morning message unless a responder answered since the night message.

        It goes to whatever case is open now (the night's case may have been closed and a
        new one opened since), and at most once per user per local date.
        """
        since = datetime.fromisoformat(job.payload["since"])
        hours = self._content.hours

        async def change(draft: Draft) -> None:
            conversation = draft.conversation
            case = conversation.case
            today = draft.now.astimezone(hours.timezone).date().isoformat()
            if case is None or not case.is_open:
                draft.skip()  # closed before the morning: a responder has talked with them
            elif case.staff_replied_at is not None and case.staff_replied_at >= since:
                draft.skip()  # a responder answered already: no morning message
            elif conversation.data.morning_sent_on == today:
                draft.skip()  # one morning message per user per morning
            else:
                conversation.data.morning_sent_on = today
                case.morning_sent_at = draft.now
                engine = self._content.engine(conversation.flow)
                draft.say([engine.text("morning_reply", TurnContext())])
                draft.alert = "morning"

        await self._changes.apply(change, user_id=job.payload["user_id"])

    async def claim_timeout(self, job: Job) -> None:
        """Tell the user honestly that nobody is free yet, and alert the supervisors."""

        async def change(draft: Draft) -> None:
            conversation = draft.conversation
            case = conversation.case
            if (
                case is None
                or case.id != job.payload["case_id"]
                or case.status != CaseStatus.WAITING
                or case.alerted_at is not None
            ):
                draft.skip()
                return
            case.alerted_at = draft.now
            draft.alert = "waiting_too_long"
            engine = self._content.engine(conversation.flow)
            if not self._content.hours.is_open(draft.now):
                # The service closed while the case waited: this is the night now, with
                # its one acknowledgement and a reply in the morning.
                context = TurnContext(
                    open_now=False,
                    placeholders={
                        "next_opening": self._desk.describe_opening(draft.now),
                        "crisis_lines": self._desk.crisis_lines(draft.now),
                    },
                )
                draft.say(self._desk.night(draft.commit, case, context, engine))
            else:
                draft.say([engine.text("no_one_yet", TurnContext())])
            if case.risk == "high":
                # Nobody took a case at risk to life in time: a person must hear of it now.
                self._desk.book_oncall(draft.commit, f"timeout:{case.id}")

        await self._changes.apply(change, user_id=job.payload["user_id"])
