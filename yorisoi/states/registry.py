"""The names a flow may use: event triggers, actions and conditions.

Flows are data; actions and conditions are code. A flow names them, this module maps the
names to plain functions, and the validator refuses a flow that names anything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yorisoi.states.engine import Turn

# Triggers fired by LINE events (see yorisoi.conversation.trigger_for). Flows may also
# declare their own triggers through quick replies and buttons.
EVENT_TRIGGERS = frozenset({"follow", "text", "sticker", "media", "location", "postback"})

Action = Callable[["Turn"], Awaitable[None]]
Condition = Callable[["Turn"], bool]


async def record_terms_shown(turn: Turn) -> None:
    """Remember when the terms of use were shown, so staff can see the user was told."""
    turn.data["terms_shown_at"] = turn.now.isoformat()


def is_unblocked(turn: Turn) -> bool:
    """True for a follow event from a user who had blocked the account and came back."""
    return bool(turn.event.follow_unblocked)


def has_seen_terms(turn: Turn) -> bool:
    """True if this user was already shown the terms of use."""
    return "terms_shown_at" in turn.data


ACTIONS: dict[str, Action] = {
    "record_terms_shown": record_terms_shown,
}

CONDITIONS: dict[str, Condition] = {
    "is_unblocked": is_unblocked,
    "has_seen_terms": has_seen_terms,
}
