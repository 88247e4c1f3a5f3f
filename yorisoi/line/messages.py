"""What the bot can say, as LINE message objects: every outgoing message is built here.

Flows describe messages as data (``yorisoi.states.model.Say``); this module turns them
into Messaging API message objects and groups them into requests of at most five
(LINE's limit per reply or push).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yorisoi.states.model import Choice, Say

MAX_MESSAGES_PER_REQUEST = 5
POSTBACK_PREFIX = "yorisoi:t="


def postback_action(choice: Choice) -> dict[str, Any]:
    """Return a postback action that fires the choice's trigger and shows its label as sent."""
    return {
        "type": "postback",
        "label": choice.label,
        "data": POSTBACK_PREFIX + choice.trigger,
        "displayText": choice.label,
    }


def render_say(say: Say) -> dict[str, Any]:
    """Return the LINE message object for one ``say`` item of a flow."""
    message: dict[str, Any]
    if say.buttons:
        message = {
            "type": "template",
            "altText": say.alt_text or say.text[:400],
            "template": {
                "type": "buttons",
                "text": say.text,
                "actions": [postback_action(c) for c in say.buttons],
            },
        }
    else:
        message = {"type": "text", "text": say.text}
    if say.quick_replies:
        message["quickReply"] = {
            "items": [{"type": "action", "action": postback_action(c)} for c in say.quick_replies]
        }
    return message


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
