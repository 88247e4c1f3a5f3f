"""One stored LINE event becomes one committed turn of the user's conversation.

The event's change screens the text, lets the flow engine (or, while a case is open, the
case desk) decide what to say, and the unit of work (``yorisoi.turns.unit``) commits state,
log entries, outbox rows and the inbox status together, or runs the change again on the new
state if another worker advanced the conversation meanwhile. Sending happens later, from the
outbox (commit first, then send).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog

from yorisoi.cases.desk import CaseDesk
from yorisoi.cases.rules import topic_of
from yorisoi.clock import Clock, from_ms
from yorisoi.content import ContentLibrary
from yorisoi.domain.data import ConversationData
from yorisoi.domain.people import is_minor
from yorisoi.identity import user_key
from yorisoi.line.events import MEDIA_TYPES, LineEvent, decode
from yorisoi.line.messages import text
from yorisoi.safety.aftercare import worsening_signs
from yorisoi.safety.net import Assessment
from yorisoi.states.engine import FlowEngine, parse_postback
from yorisoi.states.turn import Turn, TurnContext
from yorisoi.store.ports import Store
from yorisoi.store.records import (
    Conversation,
    EventStatus,
    Job,
    LoggedMessage,
    StoredEvent,
    TurnCommit,
)
from yorisoi.turns.unit import Changes, Draft, TurnLost

log = structlog.get_logger("yorisoi.turns.bot")

HANDLED_TYPES = frozenset({"message", "follow", "unfollow", "postback", "unsend"})
APOLOGY_JOB = "apology"

APOLOGY = (
    "ごめんなさい。いま うまく お返事が できませんでした。"
    "あなたの メッセージは ちゃんと 届いています。"
)

MEDIA_LABELS = {"image": "[画像]", "video": "[動画]", "audio": "[音声]", "file": "[ファイル]"}


class EventProcessor:
    """Turns inbox events into committed conversation turns."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        content: ContentLibrary,
        changes: Changes,
        *,
        reply_token_ttl: float,
        secret_key: str,
        desk: CaseDesk,
    ) -> None:
        self._store = store
        self._desk = desk
        self._secret = secret_key
        self._clock = clock
        self._content = content
        self._changes = changes
        self._reply_ttl = timedelta(seconds=reply_token_ttl)

    async def process(self, stored: StoredEvent) -> None:
        """Apply one event exactly once (a replay of an applied event only finishes it)."""
        event = decode(stored.event_id, stored.raw)
        if event.user_id is None or event.type not in HANDLED_TYPES:
            # Group chats, beacons, unknown future types: kept in the inbox, nothing to do.
            await self._store.finish_event(stored.event_id, EventStatus.IGNORED, self._clock.now())
            return

        async def change(draft: Draft) -> None:
            draft.alert = await self._turn(draft, event, stored)

        await self._changes.apply(
            change, user_id=event.user_id, new=self._new_conversation, event_id=stored.event_id
        )

    async def give_up(self, stored: StoredEvent, error: str) -> None:
        """Mark an event failed for good and tell the user we could not answer (never silent).

        The event stays in the inbox as failed, for staff (``yorisoi status``). The apology
        is a turn of its own; if even that keeps losing races, it becomes a durable job that
        the scheduler retries until it is sent.
        """
        now = self._clock.now()
        await self._store.finish_event(stored.event_id, EventStatus.FAILED, now, error)
        event = decode(stored.event_id, stored.raw)
        if event.user_id is None or event.type not in ("message", "postback", "follow"):
            return
        messages = [text(APOLOGY)]
        if event.type == "message" and event.message_type == "text" and event.text:
            # Whatever broke, a message showing risk to life still gets the crisis contacts.
            safety = self._content.safety
            loaded = await self._store.load_conversation(event.user_id)
            data = loaded.data.copy() if loaded is not None else ConversationData()
            assessment = safety.assess(data, safety.screen(event.text), now)
            if assessment.crisis:
                messages = safety.crisis_reply(
                    assessment, now=now, minor=None, staffed_now=False, next_opening_text=None
                )
        reply_until = stored.received_at + self._reply_ttl if event.reply_token else None
        try:
            await self.say(event.user_id, messages, event.reply_token, reply_until)
        except TurnLost:
            log.warning("turn.apology_booked", event_id=stored.event_id)
            await self._store.schedule_job(
                Job(
                    id=uuid.uuid4().hex,
                    kind=APOLOGY_JOB,
                    due_at=now,
                    payload={"user_id": event.user_id, "messages": messages},
                    key=f"apology:{stored.event_id}",
                )
            )

    async def apology_job(self, job: Job) -> None:
        """Send an apology that could not be committed when its event failed (by push)."""
        await self.say(job.payload["user_id"], job.payload["messages"])

    async def say(
        self,
        user_id: str,
        messages: list[dict[str, Any]],
        reply_token: str | None = None,
        reply_until: datetime | None = None,
    ) -> None:
        """Say something to the user in a turn of its own (the flow does not move)."""

        async def change(draft: Draft) -> None:
            draft.say(messages, reply_token=reply_token, reply_until=reply_until)
            draft.publish = False

        await self._changes.apply(change, user_id=user_id, new=self._new_conversation)

    def _new_conversation(self, user_id: str) -> Conversation:
        """Return the conversation of a user never seen: the default flow, at its start."""
        flow = self._content.default_engine().flow
        return Conversation(user_id=user_id, flow=flow.name, state=flow.initial)

    async def _turn(self, draft: Draft, event: LineEvent, stored: StoredEvent) -> str | None:
        """Build the turn; return the alert to raise in the operator view, if any."""
        now, commit, conversation = draft.now, draft.commit, draft.conversation
        incoming = _log_incoming(event, now)
        if incoming is not None:
            if event.type == "postback":
                incoming.text = self._button_label(conversation.flow, event.postback_data or "")
            commit.messages.append(incoming)
        if event.type == "unfollow":
            conversation.blocked = True
            return None
        if event.type == "unsend":
            if event.unsent_message_id:
                commit.redact_line_message_ids.append(event.unsent_message_id)
            return None
        if event.type == "follow":
            conversation.blocked = False
        # Every text is screened before anything else decides what happens, so that
        # nothing below (hours, the staff list, the flow) can delay a crisis reply.
        assessment = None
        if event.type == "message" and event.message_type == "text" and event.text:
            safety = self._content.safety
            screening = await safety.screen_off_loop(event.text)
            assessment = safety.assess(conversation.data, screening, now)
            if incoming is not None:
                incoming.payload["risk"] = assessment.message.value
                incoming.payload["risk_reasons"] = list(assessment.reasons)
        engine = self._content.engine(conversation.flow)
        conversation.flow = engine.flow.name
        case = conversation.case
        in_case = case is not None and case.is_open and event.type in ("message", "postback")
        try:
            context = await self._desk.context(
                now, needs_queue=not in_case and event.type in ("message", "postback")
            )
        except Exception:
            if assessment is None or not assessment.crisis:
                raise
            # The crisis reply must not wait for the store: say nobody is known to be on duty.
            log.exception("turn.context_failed", event_id=stored.event_id)
            context = TurnContext(open_now=False, responders_on_duty=0)
        alert = None
        trigger: str | None
        entered: list[str] | tuple[str, ...]
        after_crisis = (
            in_case
            and case is not None
            and case.risk == "high"
            and case.assigned_to is None
            and event.type == "message"
        )
        if after_crisis:
            # The crisis reply went out and nobody has taken the case yet: never silence,
            # never the whole reply again; signs of worsening bring 119 and a fresh alert.
            signs = assessment is not None and bool(worsening_signs(event.text or ""))
            worse = signs or (assessment is not None and assessment.crisis)
            staffed = context.open_now and self._desk.someone_sees(
                context, topic_of(conversation.data, "message")
            )
            messages = self._desk.after_crisis(
                commit, engine, worse=worse, signs=signs, staffed=staffed, event_id=stored.event_id
            )
            trigger, entered = "after_crisis", []
            alert = "risk_high" if worse else None
        elif assessment is not None and assessment.crisis:
            messages = self._crisis(commit, assessment, context, engine, stored.event_id)
            trigger, entered, alert = "risk_high", [], "risk_high"
        elif in_case:
            # A responder has (or will have) this conversation: the bot steps aside.
            messages = self._desk.user_wrote(commit, context, engine)
            trigger, entered = "case", []
        else:
            turn = Turn(
                event=event,
                now=now,
                state=conversation.state,
                data=conversation.data,
                context=context,
            )
            await engine.run(turn)
            conversation.state = turn.state
            commit.jobs.extend(turn.jobs)
            messages = list(turn.messages)
            if turn.open_case is not None:
                messages += self._desk.open_case(commit, turn.open_case, context, engine)
            trigger, entered = turn.trigger, turn.entered
        if assessment is not None:
            opened = conversation.case is not None and conversation.case is not case
            if assessment.check_in and not assessment.crisis and not in_case and not opened:
                # First, so that the flow's quick replies stay on the last message.
                messages = self._content.safety.check_in() + messages
            self._desk.raise_risk(conversation, assessment.conversation.value)
            if assessment.attention:
                self._desk.note_attention(conversation, assessment.reasons)
        draft.say(
            messages,
            reply_token=event.reply_token,
            reply_until=stored.received_at + self._reply_ttl if event.reply_token else None,
        )
        log.info(
            "turn",
            event_id=stored.event_id,
            user=user_key(conversation.user_id, self._secret),
            trigger=trigger,
            entered=entered,
            risk=assessment.message.value if assessment else None,
        )
        return alert

    def _button_label(self, flow: str, data: str) -> str | None:
        """Return what the tapped button said (LINE sends only its data), for staff."""
        trigger, value = parse_postback(data)
        label = self._content.engine(flow).label_for(trigger, value)
        if label is None and trigger == "faq_category":
            label = value
        elif label is None and trigger in ("faq_entry", "faq_helpful") and self._content.faq:
            entry = self._content.faq.entry(value or "")
            label = entry.menu_label if entry and trigger == "faq_entry" else None
            label = "役に立った" if trigger == "faq_helpful" else label
        return label

    def _crisis(
        self,
        commit: TurnCommit,
        assessment: Assessment,
        context: TurnContext,
        engine: FlowEngine,
        event_id: str,
    ) -> list[dict[str, Any]]:
        """The crisis reply, at once and in any state; the case goes to the top of the queue.

        The flow is not run for this message: nothing it could say should come between the
        person and the crisis contacts, and nothing in it can stop them.
        """
        conversation = commit.conversation
        staffed = context.open_now and self._desk.someone_sees(
            context, topic_of(conversation.data, "message")
        )
        minor = is_minor(conversation.data.intake.age_band)
        messages = self._content.safety.crisis_reply(
            assessment,
            now=commit.now,
            minor=minor,
            staffed_now=staffed,
            next_opening_text=context.placeholders.get("next_opening"),
        )
        # The case is for the responders; the crisis reply goes out whatever happens here.
        try:
            # The crisis reply says when a person will read this: the night text is not added.
            self._desk.open_case(commit, "message", context, engine)
        except Exception:
            log.exception("turn.crisis_case_failed", event_id=event_id)
        try:
            self._desk.flag_high(commit, staffed=staffed, event_id=event_id)
        except Exception:
            log.exception("turn.crisis_flag_failed", event_id=event_id)
        return messages


def _log_incoming(event: LineEvent, now: datetime) -> LoggedMessage | None:
    """Return the log entry staff will see for a user's event."""
    if event.type not in ("message", "postback", "follow", "unfollow") or event.user_id is None:
        return None
    kind = event.message_type if event.type == "message" else event.type
    body: str | None = None
    payload: dict[str, Any] = dict(event.details)
    if event.type == "message":
        if event.message_type == "text":
            body = event.text
        elif event.message_type in MEDIA_TYPES:
            body = MEDIA_LABELS[event.message_type]
        elif event.message_type == "sticker":
            body = "[スタンプ]"
        elif event.message_type == "location":
            body = "[位置情報]"
    elif event.type == "postback":
        payload["data"] = event.postback_data
    if event.mark_as_read_token:
        # Kept so that the user sees 既読 only when a responder opens the conversation.
        payload["mark_as_read_token"] = event.mark_as_read_token
    return LoggedMessage(
        id=f"in:{event.event_id}",
        user_id=event.user_id,
        direction="in",
        kind=str(kind),
        text=body,
        at=from_ms(event.timestamp_ms) if event.timestamp_ms else now,
        event_id=event.event_id,
        line_message_id=event.message_id,
        payload=payload,
    )
