"""The FAQ's LINE messages: postbacks, quick replies, and resources packed into text messages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from yorisoi.faq.resources import Resource

__all__ = [
    "CLOSING_TEXT",
    "HELPFUL_LABEL",
    "HUMAN_LABEL",
    "MAX_MESSAGES",
    "MAX_POSTBACK_DATA",
    "RESOURCES_HEADING",
    "pack",
    "postback",
    "quick_reply",
    "resource_block",
]

# Messaging API limits (reference: "Text message", "Quick reply", "Postback action").
MAX_TEXT = 5000
MAX_MESSAGES = 5
MAX_QUICK_REPLY_LABEL = 20
MAX_POSTBACK_DATA = 300

POSTBACK_PREFIX = "yorisoi:t="
HELPFUL_LABEL = "役に立った"
HUMAN_LABEL = "相談員と話したい"
CLOSING_TEXT = "お役に立ちましたか？\n相談員と話したいときは、下のボタンを押してください。"
RESOURCES_HEADING = "相談できるところ"
NO_CONTACT = "連絡先は、相談員がいっしょに調べます。"
DETAIL_LABELS = {"who": "対象", "phone": "電話", "hours": "時間", "cost": "費用"}


def postback(trigger: str, value: str | None = None) -> str:
    """Return postback data in the flow engine's format, `yorisoi:t=<trigger>[&v=<value>]`."""
    data = POSTBACK_PREFIX + trigger
    return f"{data}&v={quote(value, safe='')}" if value else data


def quick_reply(label: str, trigger: str, value: str | None = None) -> dict[str, Any]:
    """Return one quick-reply button that sends a postback and shows its label as sent."""
    return {
        "type": "action",
        "action": {
            "type": "postback",
            "label": label,
            "data": postback(trigger, value),
            "displayText": label,
        },
    }


def resource_block(resource: Resource) -> str:
    """Return one resource as plain text, with only the details users may see."""
    lines = [f"■ {resource.name}", resource.purpose]
    for detail, label in DETAIL_LABELS.items():
        value = resource.shown(detail)
        if value is not None:
            lines.append(f"{label}：{value}")
    url = resource.shown("url")
    if url is not None:
        lines.append(url)
    if resource.shown("phone") is None and url is None:
        lines.append(NO_CONTACT)
    return "\n".join(lines)


def pack(blocks: list[str], *, heading: str, room: int) -> list[dict[str, Any]]:
    """Put resource blocks into at most `room` text messages of at most `MAX_TEXT` characters."""
    if not blocks:
        return []
    texts: list[str] = []
    current = heading
    for block in blocks:
        candidate = f"{current}\n\n{block}"
        if len(candidate) > MAX_TEXT and current != heading:
            texts.append(current)
            candidate = block
        current = candidate[:MAX_TEXT]
    texts.append(current)
    # Load-time limits keep this from dropping anything; it only guards the LINE limit.
    return [{"type": "text", "text": text} for text in texts[:room]]
