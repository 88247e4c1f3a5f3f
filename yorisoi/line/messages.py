"""What the bot can say, as LINE message objects: every outgoing message is built here.

Flows describe messages as data (``yorisoi.states.model.Say``); this module turns them
into Messaging API message objects and groups them into requests of at most five
(LINE's limit per reply or push).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from yorisoi.states.model import Choice, Say

MAX_MESSAGES_PER_REQUEST = 5
POSTBACK_PREFIX = "yorisoi:t="
VALUE_SEPARATOR = "&v="


def postback_data(trigger: str, value: str | None = None) -> str:
    """Return the postback data that fires ``trigger`` (with a value for the actions)."""
    data = POSTBACK_PREFIX + trigger
    return data + VALUE_SEPARATOR + quote(value, safe="") if value else data


def postback_action(choice: Choice) -> dict[str, Any]:
    """Return a postback action that fires the choice's trigger and shows its label as sent."""
    return {
        "type": "postback",
        "label": choice.label,
        "data": postback_data(choice.trigger, choice.value),
        "displayText": choice.label,
    }


def render_say(say: Say, placeholders: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the LINE message object for one ``say`` item of a flow.

    ``placeholders`` fill ``{name}`` in the text (the loader allows only known names); a
    name without a value is left out rather than shown in braces.
    """
    body = say.text
    if placeholders is not None:
        body = body.format_map(_Blank(placeholders))
    message: dict[str, Any]
    if say.buttons:
        message = {
            "type": "template",
            "altText": say.alt_text or body[:400],
            "template": {
                "type": "buttons",
                "text": body,
                "actions": [postback_action(c) for c in say.buttons],
            },
        }
    else:
        message = {"type": "text", "text": body[:5000]}
    if say.quick_replies:
        message["quickReply"] = {
            "items": [{"type": "action", "action": postback_action(c)} for c in say.quick_replies]
        }
    return message


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def text(body: str) -> dict[str, Any]:
    """Return a plain text message."""
    return {"type": "text", "text": body}


def in_requests(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split messages into groups of at most five, keeping their order."""
    step = MAX_MESSAGES_PER_REQUEST
    return [messages[i : i + step] for i in range(0, len(messages), step)]


def summary(message: dict[str, Any]) -> str:
    """Return the text a person would read in a message, for the conversation log."""
    if message.get("type") == "text":
        return str(message.get("text", ""))
    if message.get("type") == "template":
        return str(message.get("template", {}).get("text") or message.get("altText", ""))
    return f"[{message.get('type')}]"
