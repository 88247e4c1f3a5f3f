"""What the operator view hears: a hint for every committed change to a case.

The unit of work fires ``CaseNotices.committed`` after each commit (an after-commit effect,
``yorisoi.turns.effects``) and the outbox sender calls ``delivery_changed`` when a message's
delivery state changes. Each becomes a small event for the listeners (the live hub,
``yorisoi.operators.hub``), which only says "refetch this": it carries the case's topic and
assignee so the hub can tell who may hear it, and never the words of a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from yorisoi.operators.api.shapes import DELIVERY
from yorisoi.store.ports import Store
from yorisoi.store.records import Conversation, OutboxRow, OutboxStatus
from yorisoi.turns.effects import Committed

log = structlog.get_logger("yorisoi.operators.notices")

Listener = Callable[[dict[str, Any]], None]


class CaseNotices:
    """Turns committed case changes and delivery states into live events."""

    def __init__(self, store: Store, listeners: list[Listener]) -> None:
        self._store = store
        self._listeners = listeners

    def committed(self, committed: Committed) -> None:
        """After a commit: tell the operator view, if the turn is news to it."""
        if committed.publish:
            self.publish(committed.conversation, alert=committed.alert)

    def publish(self, conversation: Conversation, *, alert: str | None = None) -> None:
        """Tell the operator view that a case changed (it refetches what it shows)."""
        case = conversation.case
        if case is None or not conversation.ref:
            return
        event: dict[str, Any] = {
            "type": "conversation",
            "id": conversation.ref,
            "version": conversation.version,
            "status": str(case.status),
            "risk": case.risk,
            "topic": case.topic,
            "assigned_to": case.assigned_to,
        }
        if alert:
            event["alert"] = alert
        self._tell(event)

    async def delivery_changed(self, row: OutboxRow, status: str) -> None:
        """Tell the operator view that a message of a case was delivered, failed or waits."""
        conversation = await self._store.load_conversation(row.user_id)
        if conversation is None or conversation.case is None or not conversation.ref:
            return
        case = conversation.case
        self._tell(
            {
                "type": "delivery",
                "id": conversation.ref,
                "delivery": DELIVERY.get(OutboxStatus(status), status),
                "topic": case.topic,
                "assigned_to": case.assigned_to,
                "status": str(case.status),
                "risk": case.risk,
            }
        )

    def _tell(self, event: dict[str, Any]) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # the live view is a convenience; the commit already happened
                log.exception("cases.notify_failed")
