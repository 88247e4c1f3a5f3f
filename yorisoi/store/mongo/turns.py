"""Turns on MongoDB: one conversation change, with its log, outbox rows and jobs.

Committing a turn without transactions
--------------------------------------
A turn writes to four collections, and neither mongomock nor a standalone server has
multi-document transactions. So ``commit_turn`` stages, compares-and-sets, then releases:

1. *Stage.* The turn's messages, outbox rows and jobs are inserted with ``turn`` (a token
   fresh for every attempt) and ``staged`` (when). Every reader ignores documents that
   have ``staged``. Ids are the records' own: a leftover staging with the same id is
   taken over rather than duplicated, and a visible one is kept (SQLite's ``ON CONFLICT
   DO NOTHING``).
2. *Compare and set.* Version 0 inserts the conversation (a duplicate key means another
   worker was first); otherwise one ``find_one_and_update`` conditioned on the version.
   The same write appends the turn (token, event, redactions) to ``open_turns``: this is
   the commit point. A loser deletes its staging and returns False.
3. *Release.* Unset ``staged``, apply the redactions, mark the inbox event done, pull
   the turn from ``open_turns``. Every step is idempotent.

The token is per attempt, not the event id: two workers racing on one event (a lease that
ran out under a slow worker) must not release or delete each other's staging. For the same
reason the winner writes again, in final form, any of its documents that a racing attempt
took over or deleted meanwhile.

Recovery: a process that dies between the commit point and the end of the release leaves
the turn in ``open_turns`` (a list, so that a second crash cannot hide the first). Open
turns are finished, oldest first, by ``finish_applied_event`` (the caller sees the event in
``applied_events``), by ``load_conversation``, by the user's next turn (the CAS returns the
document as it was) and, for users who never come back, by ``purge``. The staging of
attempts that died before their commit point stays invisible; ``purge`` deletes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from yorisoi.store.mongo.base import Collection, MongoBase, guarded
from yorisoi.store.mongo.documents import (
    LIVE_JOBS,
    NEW_OUTBOX,
    STAGED,
    Doc,
    db_time,
    duplicates_only,
    job_doc,
    to_doc,
)
from yorisoi.store.records import EventStatus, TurnCommit
from yorisoi.store.shaping import applied_after, case_keys, redact_raw_event


@dataclass(slots=True)
class _TurnDocs:
    """A turn's documents in their final (released) form."""

    messages: list[Doc]
    outbox: list[Doc]
    jobs: list[Doc]
    archive: list[Doc]


class MongoTurns(MongoBase):
    """Commit a turn by staging, compare-and-set and release; recover turns a crash left open."""

    @guarded
    async def commit_turn(self, commit: TurnCommit) -> bool:
        """Stage the turn, compare-and-set the conversation, then release (module docstring)."""
        conv, now, token = commit.conversation, db_time(commit.now), uuid.uuid4().hex
        version = conv.version + 1
        docs = _TurnDocs(
            # (version, pos) orders the log: a user's turns commit one version at a time.
            messages=[
                to_doc(m, version=version, pos=i, turn=token) for i, m in enumerate(commit.messages)
            ],
            outbox=[to_doc(o, turn=token, **NEW_OUTBOX) for o in commit.outbox],
            jobs=[job_doc(j, turn=token) for j in commit.jobs],
            archive=[
                {
                    "_id": c.id,
                    "closed_at": db_time(c.closed_at or commit.now),
                    "case": c.to_dict(),
                    "turn": token,
                }
                for c in commit.archive
            ],
        )
        await self._stage(docs, now)
        applied = applied_after(conv.applied_events, commit.event_id)
        turn: Doc = {
            "id": token,
            "event": commit.event_id,
            "at": now,
            "redact": list(commit.redact_line_message_ids),
        }
        case, keys = conv.case, case_keys(conv.case)
        saved: Doc = {
            "ref": conv.ref or None,
            "case": case.to_dict() if case else None,
            "case_status": keys.status,
            "case_rank": keys.rank,
            "case_since": db_time(keys.since) if keys.since else None,
            "case_closed": db_time(keys.closed) if keys.closed else None,
            "flow": conv.flow,
            "state": conv.state,
            "data": conv.data.to_dict(),
            "blocked": conv.blocked,
            "applied_events": applied,
            "version": version,
            "updated_at": now,
        }
        # Any error but a lost race leaves the outcome unknown: the staging then stays,
        # released by the recovery path if the write landed, deleted by purge if not.
        before: Doc | None
        try:
            if conv.version == 0:
                await self._conversations.insert_one(
                    {"_id": conv.user_id, "created_at": now, "open_turns": [turn], **saved}
                )
                before = {}
            else:
                before = await self._conversations.find_one_and_update(
                    {"_id": conv.user_id, "version": conv.version},
                    {"$set": saved, "$push": {"open_turns": turn}},
                    projection={"open_turns": 1},
                    return_document=ReturnDocument.BEFORE,
                )
        except DuplicateKeyError:
            before = None  # another worker created the conversation first
        if before is None:
            await self._discard(token, docs)
            return False
        await self._finish_turns(before)  # turns before ours that a crash left open
        await self._finish_turn(conv.user_id, turn, docs)
        return True

    def _by_collection(self, docs: _TurnDocs) -> list[tuple[Collection, list[Doc]]]:
        return [
            (self._messages, docs.messages),
            (self._outbox, docs.outbox),
            (self._jobs, docs.jobs),
            (self._archive, docs.archive),
        ]

    async def _stage(self, docs: _TurnDocs, now: datetime) -> None:
        """Insert the turn's documents, invisible until released."""
        for coll, final in self._by_collection(docs):
            staged = [{**d, "staged": now} for d in final]
            if not staged:
                continue
            try:
                await coll.insert_many(staged, ordered=False)
            except BulkWriteError as exc:
                for i in sorted(duplicates_only(exc)):
                    # Take over a leftover staging with this id; leave a visible one alone.
                    await coll.replace_one({"_id": staged[i]["_id"], **STAGED}, staged[i])

    async def _discard(self, token: str, docs: _TurnDocs) -> None:
        """Delete the staging of a turn that lost its compare-and-set."""
        for coll, final in self._by_collection(docs):
            if final:
                await coll.delete_many({"turn": token, **STAGED})

    async def _finish_turn(self, user_id: str, turn: Doc, docs: _TurnDocs | None = None) -> None:
        """Release a committed turn, redact, mark its event done and close it; idempotent."""
        await self._release(turn["id"], docs)
        for line_message_id in turn.get("redact") or []:
            await self._redact(line_message_id)
        if turn.get("event") is not None:
            await self._inbox.update_one(
                {"_id": turn["event"]},
                {"$set": {"status": str(EventStatus.DONE), "finished_at": turn["at"]}},
            )
        await self._conversations.update_one(
            {"_id": user_id}, {"$pull": {"open_turns": {"id": turn["id"]}}}
        )

    async def _finish_turns(self, conv: Doc) -> None:
        """Finish, oldest first, the committed turns of a conversation document left open."""
        for turn in conv.get("open_turns") or []:
            await self._finish_turn(conv["_id"], turn)

    async def _release(self, token: str, docs: _TurnDocs | None) -> None:
        """Make a turn's staged documents visible.

        The committing process passes ``docs`` and so can rewrite documents a racing
        attempt took over or deleted; the recovery path knows only the token.
        """
        mine: Doc = {"turn": token, **STAGED}
        by_token = [
            (self._messages, docs.messages if docs else None),
            (self._outbox, docs.outbox if docs else None),
            (self._archive, docs.archive if docs else None),
        ]
        for coll, final in by_token:
            if final == []:
                continue
            result = await coll.update_many(mine, {"$unset": {"staged": ""}})
            if final and result.modified_count < len(final):
                for doc in final:
                    await _put_unless_visible(coll, doc)
        jobs = docs.jobs if docs else await self._jobs.find(mine, {"staged": 0}).to_list(None)
        for job in jobs:
            live = job.get("key") is not None and job["status"] in LIVE_JOBS
            if not await _put_unless_visible(
                self._jobs, {**job, "live_key": job["key"]} if live else job
            ):
                # A live job holds the key (or the id is visible): keep it, as schedule_job does.
                await self._jobs.delete_one({"_id": job["_id"], **mine})

    async def _redact(self, line_message_id: str) -> None:
        """Delete the body of an unsent message from the log and from the raw inbox event."""
        await self._messages.update_many(
            {"line_message_id": line_message_id},
            {"$set": {"text": None, "payload": {}, "redacted": True}},
        )
        cursor = self._inbox.find({"line_message_id": line_message_id}, {"raw": 1})
        for event in await cursor.to_list(None):
            await self._inbox.update_one(
                {"_id": event["_id"]}, {"$set": {"raw": redact_raw_event(event["raw"])}}
            )


async def _put_unless_visible(coll: Collection, doc: Doc) -> bool:
    """Write ``doc`` over its staging, or insert it; False if a visible doc wins the key."""
    try:
        await coll.replace_one({"_id": doc["_id"], **STAGED}, doc, upsert=True)
    except DuplicateKeyError:
        return False
    return True
