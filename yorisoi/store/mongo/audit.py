"""The audit role on MongoDB: the append-only audit log, and retention (purge)."""

from __future__ import annotations

from datetime import datetime

from yorisoi.store.mongo.base import guarded
from yorisoi.store.mongo.documents import PENDING, VISIBLE, db_time, from_doc, to_doc
from yorisoi.store.mongo.turns import MongoTurns
from yorisoi.store.records import AuditEntry


class MongoAudit(MongoTurns):
    """The audit log, and the purge (which first finishes turns a crash left open)."""

    @guarded
    async def append_audit(self, entry: AuditEntry) -> None:
        """Append an audit entry."""
        # A counter, not ``at``: entries of the same millisecond keep their order.
        await self._audit.insert_one(to_doc(entry, seq=await self._next_seq("audit")))

    @guarded
    async def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        """Return the newest audit entries first."""
        cursor = self._audit.find().sort("seq", -1).limit(limit)
        return [from_doc(AuditEntry, d) for d in await cursor.to_list(None)]

    @guarded
    async def purge(self, messages_before: datetime, inbox_before: datetime) -> dict[str, int]:
        """Delete old log entries and finished inbox events, after finishing open turns."""
        # A crashed turn of a user who never came back is still open: release it first,
        # so that the staging deleted below is only that of attempts that never committed.
        cursor = self._conversations.find({"open_turns.id": {"$exists": True}}, {"open_turns": 1})
        for doc in await cursor.to_list(None):
            await self._finish_turns(doc)
        cut = db_time(messages_before)
        messages = await self._messages.delete_many({"at": {"$lt": cut}, **VISIBLE})
        inbox = await self._inbox.delete_many(
            {"status": {"$ne": PENDING}, "finished_at": {"$lt": db_time(inbox_before)}}
        )
        for coll in (self._messages, self._outbox, self._jobs, self._archive):
            await coll.delete_many({"staged": {"$lt": cut}})
        return {"messages": messages.deleted_count, "inbox": inbox.deleted_count}
