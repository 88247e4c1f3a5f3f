"""One stored LINE event becomes one committed turn of the user's conversation.

Load the conversation (state and version), let the flow engine decide what to say,
and commit state, log entries, outbox rows and the inbox status together. If another
worker advanced the conversation meanwhile, the commit is refused and the event is
run again on the new state. Sending happens later, from the outbox (commit first,
then send).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from yorisoi.clock import Clock, from_ms
from yorisoi.content import ContentLibrary
from yorisoi.identity import user_key
from yorisoi.line.events import MEDIA_TYPES, LineEvent, decode
from yorisoi.line.messages import in_requests, summary, text
from yorisoi.states.engine import Turn
from yorisoi.store.port import (
    Conversation,
    EventStatus,
    LoggedMessage,
    OutboxRow,
    Store,
    StoredEvent,
    TurnCommit,
)

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
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
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
                self._on_commit()
                return
            commit = await self._turn(conversation, event, stored)
            if await self._store.commit_turn(commit):
                self._on_commit()
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
        for _ in range(VERSION_RACE_RETRIES):
            conversation = await self._load(event.user_id)
            commit = TurnCommit(conversation=conversation, now=now)
            self._add_outgoing(commit, event, stored, [text(APOLOGY)])
            if await self._store.commit_turn(commit):
                self._on_commit()
                return

    async def _load(self, user_id: str) -> Conversation:
        found = await self._store.load_conversation(user_id)
        if found is not None:
            return found
        flow = self._content.default_engine().flow
        return Conversation(user_id=user_id, flow=flow.name, state=flow.initial)

    async def _turn(self, conversation: Conversation, event: LineEvent, stored: StoredEvent) -> TurnCommit:
        now = self._clock.now()
        conversation = Conversation(
            user_id=conversation.user_id,
            flow=conversation.flow,
            state=conversation.state,
            version=conversation.version,
            data=dict(conversation.data),
            blocked=conversation.blocked,
            applied_events=list(conversation.applied_events),
            created_at=conversation.created_at,
        )
        commit = TurnCommit(conversation=conversation, now=now, event_id=stored.event_id)
        incoming = _log_incoming(event, now)
        if incoming is not None:
            commit.messages.append(incoming)
        if event.type == "unfollow":
            conversation.blocked = True
            return commit
        if event.type == "unsend":
            if event.unsent_message_id:
                commit.redact_line_message_ids.append(event.unsent_message_id)
            return commit
        if event.type == "follow":
            conversation.blocked = False
        engine = self._content.engine(conversation.flow)
        conversation.flow = engine.flow.name
        turn = Turn(event=event, now=now, state=conversation.state, data=conversation.data)
        await engine.run(turn)
        conversation.state = turn.state
        commit.jobs.extend(turn.jobs)
        self._add_outgoing(commit, event, stored, turn.messages)
        log.info(
            "turn",
            event_id=stored.event_id,
            user=user_key(conversation.user_id, self._secret),
            trigger=turn.trigger,
            entered=turn.entered,
        )
        return commit

    def _add_outgoing(
        self, commit: TurnCommit, event: LineEvent, stored: StoredEvent, messages: list[dict[str, Any]]
    ) -> None:
        """Add outbox rows (at most five messages each) and their log entries to a commit."""
        version = commit.conversation.version + 1
        for index, group in enumerate(in_requests(messages)):
            # Only the first request can use the reply token: LINE accepts it once.
            token = event.reply_token if index == 0 else None
            row = OutboxRow(
                id=uuid.uuid4().hex,
                user_id=commit.conversation.user_id,
                version=version,
                index=index,
                messages=group,
                retry_key=str(uuid.uuid4()),
                created_at=commit.now,
                next_attempt_at=commit.now,
                reply_token=token,
                reply_until=stored.received_at + self._reply_ttl if token else None,
            )
            commit.outbox.append(row)
            for n, message in enumerate(group):
                commit.messages.append(
                    LoggedMessage(
                        id=f"out:{row.id}:{n}",
                        user_id=row.user_id,
                        direction="out",
                        kind=str(message.get("type")),
                        text=summary(message),
                        at=commit.now,
                        payload=_choices_of(message),
                    )
                )


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


def _choices_of(message: dict[str, Any]) -> dict[str, Any]:
    items = message.get("quickReply", {}).get("items", [])
    labels = [item["action"]["label"] for item in items if "label" in item.get("action", {})]
    return {"quick_replies": labels} if labels else {}
