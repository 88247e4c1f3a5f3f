"""Case queries on MongoDB: the queue lists, their counts and the archive of closed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yorisoi.store.mongo.base import MongoBase, guarded
from yorisoi.store.mongo.documents import VISIBLE, Doc, aware, conversation_from, db_time
from yorisoi.store.queries import CasePage, CaseQuery, QueueCounts
from yorisoi.store.records import OPEN_CASE, Case, CaseStatus, Conversation
from yorisoi.store.shaping import ClosedKey, OpenKey, decode_cursor, encode_cursor, restriction


class MongoCases(MongoBase):
    """The queue views over the case fields of ``conversations``."""

    @guarded
    async def list_cases(self, status: CaseStatus, limit: int = 200) -> list[Conversation]:
        """Return conversations by case status in queue order (see the port)."""
        order = (
            [("case_closed", -1)]
            if status == CaseStatus.CLOSED
            else [("case_rank", -1), ("case_since", 1), ("_id", 1)]
        )
        cursor = self._conversations.find({"case_status": str(status)}).sort(order).limit(limit)
        return [conversation_from(d) for d in await cursor.to_list(None)]

    @guarded
    async def archived_cases(self, limit: int = 100) -> list[Case]:
        """Return archived closed cases, newest first."""
        cursor = self._archive.find(VISIBLE).sort("closed_at", -1).limit(limit)
        return [Case.from_dict(d["case"]) for d in await cursor.to_list(None)]

    @guarded
    async def count_cases(self, status: CaseStatus, *, topics: frozenset[str] | None = None) -> int:
        """Count conversations by case status (and topic)."""
        query: Doc = {"case_status": str(status)}
        if topics is not None:
            query["case.topic"] = {"$in": sorted(topics)}
        return int(await self._conversations.count_documents(query))

    @guarded
    async def queue_counts(self) -> QueueCounts:
        """Count open cases by status, topic and risk in one aggregation."""
        pipeline: list[Doc] = [
            {"$match": {"case_status": {"$in": [str(s) for s in OPEN_CASE]}}},
            {
                "$group": {
                    "_id": {"status": "$case_status", "topic": "$case.topic", "risk": "$case.risk"},
                    "n": {"$sum": 1},
                }
            },
        ]
        cells = await self._conversations.aggregate(pipeline).to_list(None)
        return QueueCounts(
            {(d["_id"]["status"], d["_id"]["topic"], d["_id"]["risk"]): int(d["n"]) for d in cells}
        )

    @guarded
    async def find_cases(
        self, query: CaseQuery, *, after: str | None = None, limit: int = 50
    ) -> CasePage:
        """Return one page of a queue view and the view's total (see the port).

        The total is a true count (``count_documents`` over the view's index); a view holds
        the open cases of a line, or its closed ones, so it is not capped.
        """
        view = _view_filter(query)
        total = await self._conversations.count_documents(view)
        closed = query.status == CaseStatus.CLOSED
        order = CLOSED_ORDER if closed else OPEN_ORDER
        page = view
        if after is not None:
            page = {"$and": [view, _seek(decode_cursor(after, query.status))]}
        docs = await self._conversations.find(page).sort(order).limit(limit + 1).to_list(None)
        more, docs = len(docs) > limit, docs[:limit]
        cursor = None
        if more and docs:
            last = docs[-1]
            cursor = encode_cursor(
                ClosedKey(_ms(last["case_closed"]), last["_id"])
                if closed
                else OpenKey(last["case_rank"], _ms(last["case_since"]), last["_id"])
            )
        return CasePage([conversation_from(d) for d in docs], cursor, int(total))


OPEN_ORDER = [("case_rank", -1), ("case_since", 1), ("_id", 1)]
CLOSED_ORDER = [("case_closed", -1), ("_id", -1)]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(value: datetime) -> int:
    """Return a stored date as exact milliseconds since the epoch (no float rounding)."""
    return (aware(value) - _EPOCH) // timedelta(milliseconds=1)


def _date(ms: int) -> datetime:
    """Return milliseconds since the epoch as a date to compare stored ones with."""
    return db_time(_EPOCH + timedelta(milliseconds=ms))


def _view_filter(query: CaseQuery) -> Doc:
    """Return the filter of a queue view, without its page."""
    view: Doc = {
        "case_status": (
            {"$in": [str(s) for s in OPEN_CASE]} if query.status is None else str(query.status)
        )
    }
    for field, value in (
        ("case.assigned_to", query.assigned_to),
        ("case.risk", query.risk),
        ("case.topic", query.topic),
    ):
        if value is not None:
            view[field] = value
    limited = restriction(query)
    if limited is not None:
        topics: Doc = {"case.topic": {"$in": sorted(limited.topics)}}
        if limited.assigned_to is None:
            view.update(topics)
        else:
            view["$or"] = [topics, {"case.assigned_to": limited.assigned_to}]
    return view


def _seek(key: OpenKey | ClosedKey) -> Doc:
    """Return the filter of the cases after ``key`` in the view's order."""
    if isinstance(key, ClosedKey):
        at = _date(key.closed_ms)
        return {
            "$or": [
                {"case_closed": {"$lt": at}},
                {"case_closed": at, "_id": {"$lt": key.user_id}},
            ]
        }
    since = _date(key.since_ms)
    return {
        "$or": [
            {"case_rank": {"$lt": key.rank}},
            {"case_rank": key.rank, "case_since": {"$gt": since}},
            {"case_rank": key.rank, "case_since": since, "_id": {"$gt": key.user_id}},
        ]
    }
