"""LINE-shaped webhook events and signatures, for demo mode, ``yorisoi simulate`` and tests.

The shapes follow the Messaging API reference (webhook event objects); every event gets
a fresh ULID-like ``webhookEventId`` and the same fields LINE sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

STICKER = {"packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC"}


def new_event_id() -> str:
    """Return a 26-character id shaped like LINE's ULIDs."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(26))


def make_event(
    kind: str,
    user_id: str,
    *,
    timestamp_ms: int,
    reply_token: str | None = None,
    text: str = "",
    data: str = "",
    unblocked: bool = False,
    event_id: str | None = None,
    message_id: str | None = None,
    redelivery: bool = False,
    mark_as_read_token: str | None = None,
) -> dict[str, Any]:
    """Return one webhook event: follow, unfollow, text, sticker, image, postback or unsend."""
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or new_event_id(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if kind not in ("unfollow", "unsend"):
        event["replyToken"] = reply_token or secrets.token_hex(16)
    mid = message_id or str(secrets.randbelow(10**17) + 10**17)
    if kind == "follow":
        event["follow"] = {"isUnblocked": unblocked}
    elif kind in ("text", "sticker", "image"):
        event["type"] = "message"
        message: dict[str, Any] = {
            "id": mid,
            "type": kind,
            "quoteToken": secrets.token_urlsafe(16),
            "markAsReadToken": mark_as_read_token or secrets.token_urlsafe(16),
        }
        if kind == "text":
            message["text"] = text
        elif kind == "sticker":
            message.update(STICKER)
        else:
            message["contentProvider"] = {"type": "line"}
        event["message"] = message
    elif kind == "postback":
        event["postback"] = {"data": data}
    elif kind == "unsend":
        event["unsend"] = {"messageId": mid}
    return event


def webhook_body(events: list[dict[str, Any]], destination: str = "U" + "f" * 32) -> bytes:
    """Return a webhook request body as LINE sends it."""
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False).encode()


def sign(body: bytes, channel_secret: str) -> str:
    """Return the X-Line-Signature of a body: base64(HMAC-SHA256(secret, body))."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
