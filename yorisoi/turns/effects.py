"""After-commit effects: what happens once a turn is saved, registered in one place.

A committed turn wakes the outbox sender (its rows are due now), wakes the scheduler when
it booked a job (an on-call alert may be due at once) and tells the operator view that a
case changed. These are effects, never part of the change: they run only after the commit
succeeded (Zulip's "send event on commit"), and one that fails is logged and does not undo
or block the others, because the turn is already durable and the sender and the live view
both catch up on their own.

The app registers the effects once (``yorisoi.app``); the unit of work fires them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from yorisoi.store.records import Case, Conversation

log = structlog.get_logger("yorisoi.turns.effects")


@dataclass(frozen=True, slots=True)
class Committed:
    """A turn that is saved: the conversation as stored now, and what the effects need.

    ``conversation.version`` is the stored version. ``before`` is the case as it was
    loaded, so an effect can tell what changed. ``alert`` names what the operator view
    should draw attention to (``risk_high``, ``morning``, ...); ``publish`` says whether the
    live view hears of this turn at all.
    """

    conversation: Conversation
    before: Case | None = None
    jobs: bool = False
    publish: bool = False
    alert: str | None = None


Effect = Callable[[Committed], None]


class Effects:
    """The after-commit effects, in the order they were added."""

    def __init__(self) -> None:
        self._effects: list[tuple[str, Effect]] = []

    def add(self, name: str, effect: Effect) -> None:
        """Run ``effect`` after every committed turn."""
        self._effects.append((name, effect))

    def fire(self, committed: Committed) -> None:
        """Run every effect; one that fails is logged, the others still run."""
        for name, effect in self._effects:
            try:
                effect(committed)
            except Exception:  # the commit happened; an effect is a convenience on top
                log.exception("turns.effect_failed", effect=name)
