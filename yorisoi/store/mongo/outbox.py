"""The outbox role on MongoDB: claiming each user's first row, recording how it went."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument

from yorisoi.store.mongo.base import MongoBase, guarded
from yorisoi.store.mongo.documents import VISIBLE, Doc, db_time, from_doc, to_doc
from yorisoi.store.records import UNFINISHED_OUTBOX, DeliveryAttempt, OutboxRow, OutboxStatus


class MongoOutbox(MongoBase):
    """The outbox rows and their delivery attempts."""

    @guarded
    async def claim_outbox_heads(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 50
    ) -> list[OutboxRow]:
        """Claim each user's first unfinished row if it is due (or its lease expired)."""
        at = db_time(now)
        waiting = [str(OutboxStatus.PENDING), str(OutboxStatus.WAITING_QUOTA)]
        sending = str(OutboxStatus.SENDING)
        # Scans the unfinished rows only: sent and failed rows leave the $match at once.
        pipeline: list[Doc] = [
            {"$match": {"status": {"$in": [str(s) for s in UNFINISHED_OUTBOX]}, **VISIBLE}},
            {"$sort": {"user_id": 1, "version": 1, "index": 1}},
            {"$group": {"_id": "$user_id", "head": {"$first": "$$ROOT"}}},
            {"$replaceRoot": {"newRoot": "$head"}},
            {
                "$match": {
                    "$or": [
                        {"status": {"$in": waiting}, "next_attempt_at": {"$lte": at}},
                        {"status": sending, "lease_until": {"$lte": at}},
                    ]
                }
            },
            {"$sort": {"next_attempt_at": 1}},
            {"$limit": limit},
        ]
        claim = {
            "$set": {"status": sending, "lease_owner": owner, "lease_until": db_time(lease_until)}
        }
        claimed: list[OutboxRow] = []
        for head in await self._outbox.aggregate(pipeline).to_list(None):
            # Claim only if the row is still as we saw it: of two workers, one wins.
            due = "lease_until" if head["status"] == sending else "next_attempt_at"
            doc = await self._outbox.find_one_and_update(
                {"_id": head["_id"], "status": head["status"], due: {"$lte": at}},
                claim,
                return_document=ReturnDocument.AFTER,
            )
            if doc:
                claimed.append(from_doc(OutboxRow, doc))
        return claimed

    @guarded
    async def set_reply_attempted(
        self, row_id: str, attempted: bool, *, drop_token: bool = False
    ) -> None:
        """Persist whether a reply attempt has an unknown outcome; maybe forget the token."""
        update: Doc = {"reply_attempted": attempted}
        if drop_token:
            update.update(reply_token=None, reply_until=None)
        await self._outbox.update_one({"_id": row_id}, {"$set": update})

    @guarded
    async def finish_outbox(
        self,
        row_id: str,
        status: OutboxStatus,
        now: datetime,
        via: str | None = None,
        error: str | None = None,
    ) -> None:
        """Mark a row finished."""
        update: Doc = {"status": str(status), "lease_owner": None, "lease_until": None}
        if status == OutboxStatus.SENT:
            update["sent_at"] = db_time(now)
        if via is not None:
            update["sent_via"] = via
        if error is not None:
            update["last_error"] = error
        await self._outbox.update_one({"_id": row_id}, {"$set": update, "$inc": {"attempts": 1}})

    @guarded
    async def reschedule_outbox(
        self, row_id: str, status: OutboxStatus, next_attempt_at: datetime, error: str | None
    ) -> None:
        """Put a row back to be tried later."""
        update = {
            "status": str(status),
            "next_attempt_at": db_time(next_attempt_at),
            "last_error": error,
            "lease_owner": None,
            "lease_until": None,
        }
        await self._outbox.update_one({"_id": row_id}, {"$set": update, "$inc": {"attempts": 1}})

    @guarded
    async def record_delivery(self, attempt: DeliveryAttempt) -> None:
        """Append a delivery attempt."""
        # Only the lease holder records a row's attempts, one after another: the
        # ObjectId _id breaks ties of ``at`` without a counter round trip.
        await self._deliveries.insert_one(to_doc(attempt, None))

    @guarded
    async def deliveries(self, outbox_id: str) -> list[DeliveryAttempt]:
        """Return a row's attempts, oldest first."""
        cursor = self._deliveries.find({"outbox_id": outbox_id}).sort([("at", 1), ("_id", 1)])
        return [from_doc(DeliveryAttempt, d, None) for d in await cursor.to_list(None)]

    @guarded
    async def outbox_rows(self, user_id: str) -> list[OutboxRow]:
        """Return a user's visible outbox rows in send order."""
        cursor = self._outbox.find({"user_id": user_id, **VISIBLE}).sort(
            [("version", 1), ("index", 1)]
        )
        return [from_doc(OutboxRow, d) for d in await cursor.to_list(None)]

    @guarded
    async def outbox_counts(self) -> dict[str, int]:
        """Count visible rows per status."""
        pipeline: list[Doc] = [
            {"$match": VISIBLE},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        return {d["_id"]: int(d["n"]) for d in await self._outbox.aggregate(pipeline).to_list(None)}
