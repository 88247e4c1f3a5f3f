"""The inbox role on MongoDB: events stored once, pending ones in order, per-user leases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from yorisoi.store.mongo.base import guarded
from yorisoi.store.mongo.documents import PENDING, Doc, db_time, duplicates_only, from_doc, to_doc
from yorisoi.store.mongo.turns import MongoTurns
from yorisoi.store.records import EventStatus, InboundEvent, StoredEvent


class MongoInbox(MongoTurns):
    """The inbox and the user leases (finishing an applied event may finish its open turn)."""

    @guarded
    async def add_events(self, events: Sequence[InboundEvent]) -> list[str]:
        """Insert events, ignoring ids already stored; return the new ids in input order."""
        if not events:
            return []
        # One counter round trip per batch gives an arrival order that holds across
        # processes (an ObjectId is monotonic only within one process and one second).
        first = await self._next_seq("inbox", len(events)) - len(events) + 1
        docs = [
            to_doc(e, "event_id", seq=first + i, status=PENDING, attempts=0)
            for i, e in enumerate(events)
        ]
        refused: set[int] = set()
        try:
            await self._inbox.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            refused = duplicates_only(exc)
        return [e.event_id for i, e in enumerate(events) if i not in refused]

    @guarded
    async def users_with_pending_events(self, limit: int = 100) -> list[str]:
        """Return users with pending events, the longest waiting first."""
        pipeline: list[Doc] = [
            {"$match": {"status": PENDING, "user_id": {"$ne": None}}},
            {"$group": {"_id": "$user_id", "first": {"$min": "$seq"}}},
            {"$sort": {"first": 1}},
            {"$limit": limit},
        ]
        return [d["_id"] for d in await self._inbox.aggregate(pipeline).to_list(None)]

    @guarded
    async def pending_events(self, user_id: str, limit: int = 20) -> list[StoredEvent]:
        """Return a user's pending events in timestamp order, then arrival order."""
        cursor = self._inbox.find({"status": PENDING, "user_id": user_id})
        cursor = cursor.sort([("timestamp_ms", 1), ("seq", 1)]).limit(limit)
        return [from_doc(StoredEvent, d, "event_id") for d in await cursor.to_list(None)]

    @guarded
    async def get_event(self, event_id: str) -> StoredEvent | None:
        """Return one inbox event."""
        doc = await self._inbox.find_one({"_id": event_id})
        return from_doc(StoredEvent, doc, "event_id") if doc else None

    @guarded
    async def finish_event(
        self, event_id: str, status: EventStatus, now: datetime, error: str | None = None
    ) -> None:
        """Mark an event finished without a turn."""
        update: Doc = {"status": str(status), "finished_at": db_time(now)}
        if error is not None:
            update["last_error"] = error
        await self._inbox.update_one({"_id": event_id}, {"$set": update})

    @guarded
    async def finish_applied_event(self, event_id: str, now: datetime) -> None:
        """Finish the release of the user's turn if one is open; mark the event done."""
        event = await self._inbox.find_one({"_id": event_id}, {"user_id": 1})
        if event and event.get("user_id"):
            conv = await self._conversations.find_one({"_id": event["user_id"]}, {"open_turns": 1})
            if conv:
                await self._finish_turns(conv)
        await self.finish_event(event_id, EventStatus.DONE, now)

    @guarded
    async def inbox_counts(self) -> dict[str, int]:
        """Count inbox events per status."""
        pipeline: list[Doc] = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        return {d["_id"]: int(d["n"]) for d in await self._inbox.aggregate(pipeline).to_list(None)}

    @guarded
    async def retry_event_later(self, event_id: str, error: str, not_before: datetime) -> int:
        """Record a failed attempt and when to try again."""
        doc = await self._inbox.find_one_and_update(
            {"_id": event_id},
            {
                "$inc": {"attempts": 1},
                "$set": {"last_error": error, "not_before": db_time(not_before)},
            },
            projection={"attempts": 1},
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["attempts"]) if doc else 0

    @guarded
    async def acquire_user_lease(
        self, user_id: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take the user's lease if free, expired or ours."""
        try:
            # If another owner holds a live lease the filter misses and the upsert collides
            # with the existing _id: that collision is the answer "taken".
            await self._leases.update_one(
                {"_id": user_id, "$or": [{"owner": owner}, {"until": {"$lte": db_time(now)}}]},
                {"$set": {"owner": owner, "until": db_time(until)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    @guarded
    async def release_user_lease(self, user_id: str, owner: str) -> None:
        """Drop our lease on the user."""
        await self._leases.delete_one({"_id": user_id, "owner": owner})
