"""One stored LINE event becomes one committed turn of the user's conversation.

Load the conversation (state and version), let the flow engine decide what to say,
and commit state, log entries, outbox rows and the inbox status together. If another
worker advanced the conversation meanwhile, the commit is refused and the event is
run again on the new state. Sending happens later, from the outbox (commit first,
then send).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from yorisoi.clock import Clock, from_ms
from yorisoi.content import ContentLibrary
from yorisoi.identity import user_key
from yorisoi.line.events import MEDIA_TYPES, LineEvent, decode
from yorisoi.line.messages import text
from yorisoi.operators.cases import CaseDesk, topic_of
from yorisoi.safety.net import Assessment
from yorisoi.states.engine import FlowEngine, Turn, TurnContext, parse_postback
from yorisoi.states.registry import MINOR_AGE_BANDS
from yorisoi.store.port import (
    Conversation,
    EventStatus,
    LoggedMessage,
    Store,
    StoredEvent,
    TurnCommit,
)
from yorisoi.turns import add_outgoing, copy_conversation

log = structlog.get_logger("yorisoi.conversation")

HANDLED_TYPES = frozenset({"message", "follow", "unfollow", "postback", "unsend"})
VERSION_RACE_RETRIES = 8

APOLOGY = (
    "ごめんなさい。いま うまく お返事が できませんでした。"
    "あなたの メッセージは ちゃんと 届いています。"
)

MEDIA_LABELS = {"image": "[画像]", "video": "[動画]", "audio": "[音声]", "file": "[ファイル]"}


class ConversationConflict(Exception):
    """Raised when a conversation kept changing under us and the turn could not commit."""


class EventProcessor:
    """Turns inbox events into committed conversation turns."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        content: ContentLibrary,
        *,
        reply_token_ttl: float,
        secret_key: str,
        desk: CaseDesk,
        on_commit: Callable[[bool], None] = lambda jobs: None,
    ) -> None:
        self._store = store
        self._desk = desk
        self._secret = secret_key
        self._clock = clock
        self._content = content
        self._reply_ttl = timedelta(seconds=reply_token_ttl)
        self._on_commit = on_commit

    async def process(self, stored: StoredEvent) -> None:
        """Apply one event exactly once (a replay of an applied event only finishes it)."""
        event = decode(stored.event_id, stored.raw)
        if event.user_id is None or event.type not in HANDLED_TYPES:
            # Group chats, beacons, unknown future types: kept in the inbox, nothing to do.
            await self._store.finish_event(stored.event_id, EventStatus.IGNORED, self._clock.now())
            return
        for _ in range(VERSION_RACE_RETRIES):
            conversation = await self._load(event.user_id)
            if stored.event_id in conversation.applied_events:
                await self._store.finish_applied_event(stored.event_id, self._clock.now())
                self._on_commit(True)  # the turn may have booked a job: let it be looked at
                return
            commit, alert = await self._turn(conversation, event, stored)
            if await self._store.commit_turn(commit):
                self._on_commit(bool(commit.jobs))
                case = commit.conversation.case
                if case is not None and (case.is_open or case != conversation.case):
                    commit.conversation.version += 1
                    self._desk.publish(commit.conversation, alert=alert)
                return
            log.info("turn.version_race", event_id=stored.event_id)
        raise ConversationConflict(f"conversation kept changing while applying {stored.event_id}")

    async def give_up(self, stored: StoredEvent, error: str) -> None:
        """Mark an event failed for good and tell the user we could not answer (never silent)."""
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
            data = dict(loaded.data) if loaded is not None else {}
            assessment = safety.assess(data, safety.screen(event.text), now)
            if assessment.crisis:
                messages = safety.crisis_reply(
                    assessment, now=now, minor=None, staffed_now=False, next_opening_text=None
                )
        for _ in range(VERSION_RACE_RETRIES):
            conversation = await self._load(event.user_id)
            commit = TurnCommit(conversation=copy_conversation(conversation), now=now)
            add_outgoing(
                commit,
                messages,
                reply_token=event.reply_token,
                reply_until=stored.received_at + self._reply_ttl if event.reply_token else None,
            )
            if await self._store.commit_turn(commit):
                self._on_commit(False)
                return

    async def _load(self, user_id: str) -> Conversation:
        found = await self._store.load_conversation(user_id)
        if found is not None:
            return found
        flow = self._content.default_engine().flow
        return Conversation(user_id=user_id, flow=flow.name, state=flow.initial)

    async def _turn(
        self, loaded: Conversation, event: LineEvent, stored: StoredEvent
    ) -> tuple[TurnCommit, str | None]:
        """Build the turn; return it and the alert to raise in the operator view, if any."""
        now = self._clock.now()
        conversation = copy_conversation(loaded)
        commit = TurnCommit(conversation=conversation, now=now, event_id=stored.event_id)
        incoming = _log_incoming(event, now)
        if incoming is not None:
            if event.type == "postback":
                incoming.text = self._button_label(conversation.flow, event.postback_data or "")
            commit.messages.append(incoming)
        if event.type == "unfollow":
            conversation.blocked = True
            return commit, None
        if event.type == "unsend":
            if event.unsent_message_id:
                commit.redact_line_message_ids.append(event.unsent_message_id)
            return commit, None
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
        if assessment is not None and assessment.crisis:
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
        add_outgoing(
            commit,
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
        return commit, alert

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
        intake = conversation.data.get("intake") or {}
        band = intake.get("age_band")
        minor = None if band in (None, "declined") else band in MINOR_AGE_BANDS
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
