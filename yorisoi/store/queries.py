"""What the queue views ask the store and get back: the query, a page, the counts.

Plain data, no I/O: ``CaseQuery`` carries the viewer and the filters of one view,
``CasePage`` one page of it with its true total, ``QueueCounts`` the open cases counted by
status, topic and risk. The rule that turns a viewer into a filter is in ``shaping.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yorisoi.store.records import CaseStatus, Conversation, StoreError


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Open cases counted by status, topic and risk: true counts, never capped.

    ``cells`` maps ``(status, topic, risk)`` to the number of open cases with exactly those
    values; the methods add cells up, so every total agrees with its parts.
    """

    cells: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def count(
        self, status: CaseStatus, *, topic: str | None = None, risk: str | None = None
    ) -> int:
        """Return the number of open cases with this status (and topic, and risk)."""
        return sum(
            n
            for (s, t, r), n in self.cells.items()
            if s == status and (topic is None or t == topic) and (risk is None or r == risk)
        )

    @property
    def waiting(self) -> int:
        """The number of cases waiting for a responder."""
        return self.count(CaseStatus.WAITING)

    @property
    def active(self) -> int:
        """The number of cases with a responder."""
        return self.count(CaseStatus.ACTIVE)

    def by_topic(self, status: CaseStatus) -> dict[str, int]:
        """Return the cases with this status per topic."""
        counts: dict[str, int] = {}
        for (s, topic, _), n in self.cells.items():
            if s == status:
                counts[topic] = counts.get(topic, 0) + n
        return counts

    def by_risk(self, status: CaseStatus) -> dict[str, int]:
        """Return the cases with this status per risk level."""
        counts: dict[str, int] = {}
        for (s, _, risk), n in self.cells.items():
            if s == status:
                counts[risk] = counts.get(risk, 0) + n
        return counts


class InvalidCursor(StoreError, ValueError):
    """Raised when a page cursor was not made by ``find_cases`` for a query of this kind."""


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """What one queue view asks for: cases of a status that one viewer may see.

    ``status`` None means every open case (waiting and active), in queue order: with
    ``assigned_to`` it is a responder's "mine" view. ``viewer_topics`` None is a supervisor
    or an admin, who sees every case; a responder (``viewer_id``, ``viewer_topics``) sees a
    case when its topic is one of theirs (every topic when they have none) or when it is
    assigned to them. ``assigned_to``, ``risk`` and ``topic`` narrow the view further.
    """

    status: CaseStatus | None
    viewer_id: str | None = None
    viewer_topics: frozenset[str] | None = None
    assigned_to: str | None = None
    risk: str | None = None
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of a queue view, the cursor of the next page, and the whole view's count.

    ``next_cursor`` is None on the last page; it is opaque and names the last case shown
    (keyset pagination), so cases added meanwhile never shift a page or repeat a case.
    ``total`` is a true count of the whole query, not of this page.
    """

    items: list[Conversation]
    next_cursor: str | None
    total: int
