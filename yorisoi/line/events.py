"""Decoding LINE webhook events from their raw JSON, cheaply and without losing fields.

The webhook keeps each event's raw JSON (the SDK drops unknown fields); here a raw event
becomes a small ``LineEvent`` with what processing needs. We do not build the SDK's
pydantic models on this path: they cost about a millisecond per event (FACTS.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yorisoi.store.records import InboundEvent

MESSAGE_TYPES = frozenset({"text", "sticker", "image", "video", "audio", "file", "location"})
MEDIA_TYPES = frozenset({"image", "video", "audio", "file"})


class MalformedEvent(ValueError):
    """Raised when a webhook event lacks what every LINE event has (type, timestamp)."""


@dataclass(frozen=True, slots=True)
class LineEvent:
    """What processing needs from one webhook event."""

    event_id: str
    type: str  # message, follow, unfollow, postback, unsend, or anything else LINE adds
    timestamp_ms: int
    user_id: str | None
    reply_token: str | None = None
    message_type: str | None = None
    message_id: str | None = None
    text: str | None = None
    postback_data: str | None = None
    follow_unblocked: bool = False
    unsent_message_id: str | None = None
    mark_as_read_token: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def to_inbound(raw_event: dict[str, Any], received_at: datetime) -> InboundEvent:
    """Turn one parsed event of a webhook body into an inbox record."""
    if not isinstance(raw_event, dict):
        raise MalformedEvent("an event must be a JSON object")
    event_type = raw_event.get("type")
    timestamp = raw_event.get("timestamp")
    if not isinstance(event_type, str) or not isinstance(timestamp, int):
        raise MalformedEvent("an event needs a string 'type' and an integer 'timestamp'")
    raw = json.dumps(raw_event, ensure_ascii=False, separators=(",", ":"))
    event_id = raw_event.get("webhookEventId")
    if not isinstance(event_id, str) or not event_id:
        # Every current LINE event has webhookEventId; for anything else the content is
        # the identity, so an identical resend is still recognised.
        event_id = "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    source = raw_event.get("source")
    user_id = source.get("userId") if isinstance(source, dict) else None
    message = raw_event.get("message")
    message_id = message.get("id") if isinstance(message, dict) else None
    delivery = raw_event.get("deliveryContext")
    return InboundEvent(
        event_id=event_id,
        user_id=user_id if isinstance(user_id, str) else None,
        type=event_type,
        timestamp_ms=timestamp,
        received_at=received_at,
        raw=raw,
        line_message_id=message_id if isinstance(message_id, str) else None,
        redelivery=bool(isinstance(delivery, dict) and delivery.get("isRedelivery")),
    )


def decode(event_id: str, raw: str) -> LineEvent:
    """Return the ``LineEvent`` for a stored raw event."""
    data = json.loads(raw)
    source = data.get("source") or {}
    user_id = source.get("userId") if source.get("type", "user") == "user" else None
    message = data.get("message") or {}
    postback = data.get("postback") or {}
    follow = data.get("follow") or {}
    unsend = data.get("unsend") or {}
    details: dict[str, Any] = {}
    if message.get("type") == "sticker":
        details = {k: message[k] for k in ("packageId", "stickerId") if k in message}
    elif message.get("type") == "location":
        details = {k: message[k] for k in ("title", "address") if k in message}
    elif message.get("type") == "file":
        details = {k: message[k] for k in ("fileName", "fileSize") if k in message}
    return LineEvent(
        event_id=event_id,
        type=str(data.get("type")),
        timestamp_ms=int(data.get("timestamp", 0)),
        user_id=user_id,
        reply_token=data.get("replyToken"),
        message_type=message.get("type"),
        message_id=message.get("id"),
        text=message.get("text") if message.get("type") == "text" else None,
        postback_data=postback.get("data"),
        follow_unblocked=bool(follow.get("isUnblocked")),
        unsent_message_id=unsend.get("messageId"),
        mark_as_read_token=message.get("markAsReadToken"),
        details=details,
    )
