"""Case queries on MongoDB: the queue lists, their counts and the archive of closed cases."""

from __future__ import annotations

from yorisoi.store.mongo.base import MongoBase, guarded
from yorisoi.store.mongo.documents import VISIBLE, Doc, conversation_from
from yorisoi.store.records import OPEN_CASE, Case, CaseStatus, Conversation, QueueCounts


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
