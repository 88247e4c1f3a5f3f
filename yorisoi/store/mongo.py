"""The MongoDB adapter of the storage port, through motor.

Every driver call of yorisoi lives in this module, so that the move from motor (deprecated)
to PyMongo's own ``AsyncMongoClient`` touches nothing else. Driver errors leave as
yorisoi's: lost connections and timeouts as ``StoreUnavailable``, anything else the
driver refuses as ``StoreError``.

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

Dates: BSON keeps milliseconds in UTC, so datetimes are stored cut to milliseconds and
read back as aware UTC (the real client is ``tz_aware``; mongomock returns naive ones).
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import ReturnDocument
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    PyMongoError,
    WTimeoutError,
)

from yorisoi.store.port import (
    APPLIED_EVENTS_KEPT,
    UNFINISHED_OUTBOX,
    AlreadyExists,
    AuditEntry,
    Case,
    CaseStatus,
    ContentVersion,
    Conversation,
    DeliveryAttempt,
    EventStatus,
    InboundEvent,
    Job,
    JobStatus,
    LoggedMessage,
    OutboxRow,
    OutboxStatus,
    StaffMember,
    StaffSession,
    StoredEvent,
    StoreError,
    StoreUnavailable,
    TurnCommit,
    risk_rank,
)
from yorisoi.store.sqlite import redact_raw_event

Doc = dict[str, Any]
Collection = AsyncIOMotorCollection[Doc]
P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")

DEFAULT_DATABASE = "yorisoi"
VISIBLE: Doc = {"staged": {"$exists": False}}
STAGED: Doc = {"staged": {"$exists": True}}
LIVE_JOBS = (str(JobStatus.PENDING), str(JobStatus.RUNNING))
PENDING = str(EventStatus.PENDING)
_DUPLICATE_KEY = 11000
# ConnectionFailure covers AutoReconnect, NetworkTimeout, NotPrimaryError and
# ServerSelectionTimeoutError; the other two are timeouts reported by the server.
_UNAVAILABLE = (ConnectionFailure, ExecutionTimeout, WTimeoutError)
# As SQLite's INSERTs do, a new row or job starts unclaimed, whatever the record says.
_NEW_OUTBOX = dict(attempts=0, reply_attempted=False, sent_at=None, sent_via=None, last_error=None)
_NEW_JOB = dict(attempts=0, lease_owner=None, lease_until=None, last_error=None)
_STATUS: dict[type, type[enum.StrEnum]] = {
    StoredEvent: EventStatus,
    OutboxRow: OutboxStatus,
    Job: JobStatus,
}


def _guarded(method: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Translate driver errors into the port's errors."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"MongoDB: {exc}") from exc
        except PyMongoError as exc:
            # Not the driver's text: a bulk write error quotes the documents (user ids, texts).
            code = getattr(exc, "code", None)
            raise StoreError(f"MongoDB {type(exc).__name__} (code {code})") from None

    return wrapper


def _db_time(when: datetime) -> datetime:
    """Return ``when`` as naive UTC cut to milliseconds, exactly what BSON keeps."""
    utc = when.astimezone(UTC)
    return utc.replace(tzinfo=None, microsecond=utc.microsecond // 1000 * 1000)


def _aware(value: datetime) -> datetime:
    """Return a stored datetime as aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _doc(record: Any, id_field: str | None = "id", **extra: Any) -> Doc:
    """Return a port record as a document: its id as ``_id``, dates and enums for BSON."""
    doc: Doc = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            value = _db_time(value)
        elif isinstance(value, enum.Enum):
            value = value.value
        doc["_id" if f.name == id_field else f.name] = value
    doc.update(extra)
    return doc


def _record(cls: type[R], doc: Doc, id_field: str | None = "id") -> R:
    """Build a port record from a document; fields the record lacks are left out."""
    values: Doc = {}
    for f in fields(cls):  # type: ignore[arg-type]
        key = "_id" if f.name == id_field else f.name
        if key in doc:
            value = doc[key]
            values[f.name] = _aware(value) if isinstance(value, datetime) else value
    if cls in _STATUS:
        values["status"] = _STATUS[cls](values["status"])
    return cls(**values)


def _duplicates_only(exc: BulkWriteError) -> set[int]:
    """Return the positions refused as duplicate keys; re-raise any other failure."""
    errors = exc.details.get("writeErrors", [])
    if exc.details.get("writeConcernErrors") or any(
        e.get("code") != _DUPLICATE_KEY for e in errors
    ):
        raise exc
    return {int(e["index"]) for e in errors}


@dataclass(slots=True)
class _TurnDocs:
    """A turn's documents in their final (released) form."""

    messages: list[Doc]
    outbox: list[Doc]
    jobs: list[Doc]
    archive: list[Doc]


class MongoStore:
    """The Store port on a MongoDB database."""

    def __init__(
        self, client: AsyncIOMotorClient[Doc], db: AsyncIOMotorDatabase[Doc], drop_on_close: bool
    ) -> None:
        self._client = client
        self._db = db
        self._drop_on_close = drop_on_close
        self._inbox: Collection = db["inbox"]
        self._leases: Collection = db["user_leases"]
        self._conversations: Collection = db["conversations"]
        self._messages: Collection = db["messages"]
        self._outbox: Collection = db["outbox"]
        self._deliveries: Collection = db["deliveries"]
        self._jobs: Collection = db["jobs"]
        self._archive: Collection = db["case_archive"]
        self._staff: Collection = db["staff"]
        self._content: Collection = db["content"]
        self._audit: Collection = db["audit"]
        self._sessions: Collection = db["staff_sessions"]
        self._counters: Collection = db["counters"]

    @classmethod
    async def connect(
        cls, url: str, *, database: str | None = None, drop_on_close: bool = False
    ) -> MongoStore:
        """Connect to ``url``; the database is ``database``, else the URL's path, else yorisoi."""
        try:
            client: AsyncIOMotorClient[Doc] = AsyncIOMotorClient(
                url, tz_aware=True, appname="yorisoi"
            )
        except PyMongoError as exc:  # a malformed URL or option: fail at start-up, loudly
            raise StoreError(f"MongoDB: {exc}") from exc
        db = client[database] if database else client.get_default_database(DEFAULT_DATABASE)
        return await cls._open(client, db, drop_on_close)

    @classmethod
    async def with_client(
        cls, client: AsyncIOMotorClient[Doc], database: str, *, drop_on_close: bool = False
    ) -> MongoStore:
        """Use a client made elsewhere (mongomock in tests); ``close`` closes it."""
        return await cls._open(client, client[database], drop_on_close)

    @classmethod
    async def _open(
        cls, client: AsyncIOMotorClient[Doc], db: AsyncIOMotorDatabase[Doc], drop: bool
    ) -> MongoStore:
        store = cls(client, db, drop)
        try:
            await store._create_indexes()
        except BaseException:
            client.close()
            raise
        return store

    @_guarded
    async def _create_indexes(self) -> None:
        """Create the indexes (no-ops when they exist); also the first round trip."""
        await self._inbox.create_index(
            [("status", 1), ("user_id", 1), ("timestamp_ms", 1), ("seq", 1)]
        )
        await self._inbox.create_index("line_message_id")
        await self._inbox.create_index("finished_at")
        await self._conversations.create_index("open_turns.id", sparse=True)
        # Partial, not sparse: a sparse index still holds an explicit null.
        await self._conversations.create_index(
            "ref", unique=True, partialFilterExpression={"ref": {"$type": "string"}}
        )
        await self._conversations.create_index(
            [("case_status", 1), ("case_rank", -1), ("case_since", 1), ("_id", 1)]
        )
        await self._conversations.create_index([("case_status", 1), ("case_closed", -1)])
        await self._archive.create_index("closed_at")
        await self._messages.create_index([("user_id", 1), ("version", 1), ("pos", 1)])
        await self._messages.create_index("line_message_id")
        await self._messages.create_index("at")
        await self._outbox.create_index(
            [("status", 1), ("user_id", 1), ("version", 1), ("index", 1)]
        )
        await self._outbox.create_index([("user_id", 1), ("version", 1), ("index", 1)])
        await self._deliveries.create_index([("outbox_id", 1), ("at", 1)])
        await self._jobs.create_index([("status", 1), ("due_at", 1)])
        # Partial indexes accept $in only from MongoDB 6.0 on: rather than "key where status
        # in (pending, running)", live_key holds the key while the job is live, else is absent.
        await self._jobs.create_index("live_key", unique=True, sparse=True)
        for coll in (self._messages, self._outbox, self._jobs, self._archive):
            await coll.create_index("turn", partialFilterExpression=STAGED)
            await coll.create_index("staged", partialFilterExpression=STAGED)
        await self._staff.create_index("login", unique=True)
        await self._sessions.create_index("expires_at")
        await self._content.create_index([("kind", 1), ("name", 1), ("version", 1)], unique=True)
        await self._content.create_index([("kind", 1), ("active", 1), ("name", 1)])
        await self._audit.create_index("seq")

    async def close(self) -> None:
        """Drop the database if asked to (tests), then close the client."""
        try:
            if self._drop_on_close:
                await _guarded(self._client.drop_database)(self._db.name)
        finally:
            self._client.close()

    @_guarded
    async def ping(self) -> None:
        """Raise StoreUnavailable unless the server answers."""
        await self._db.command("ping")

    async def _next_seq(self, name: str, count: int = 1) -> int:
        """Reserve ``count`` numbers of a counter shared by all processes; return the last."""
        doc = await self._counters.find_one_and_update(
            {"_id": name}, {"$inc": {"n": count}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return int(doc["n"]) if doc else count

    # --- inbox ---------------------------------------------------------------------
    @_guarded
    async def add_events(self, events: Sequence[InboundEvent]) -> list[str]:
        """Insert events, ignoring ids already stored; return the new ids in input order."""
        if not events:
            return []
        # One counter round trip per batch gives an arrival order that holds across
        # processes (an ObjectId is monotonic only within one process and one second).
        first = await self._next_seq("inbox", len(events)) - len(events) + 1
        docs = [
            _doc(e, "event_id", seq=first + i, status=PENDING, attempts=0)
            for i, e in enumerate(events)
        ]
        refused: set[int] = set()
        try:
            await self._inbox.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            refused = _duplicates_only(exc)
        return [e.event_id for i, e in enumerate(events) if i not in refused]

    @_guarded
    async def users_with_pending_events(self, limit: int = 100) -> list[str]:
        """Return users with pending events, the longest waiting first."""
        pipeline: list[Doc] = [
            {"$match": {"status": PENDING, "user_id": {"$ne": None}}},
            {"$group": {"_id": "$user_id", "first": {"$min": "$seq"}}},
            {"$sort": {"first": 1}},
            {"$limit": limit},
        ]
        return [d["_id"] for d in await self._inbox.aggregate(pipeline).to_list(None)]

    @_guarded
    async def pending_events(self, user_id: str, limit: int = 20) -> list[StoredEvent]:
        """Return a user's pending events in timestamp order, then arrival order."""
        cursor = self._inbox.find({"status": PENDING, "user_id": user_id})
        cursor = cursor.sort([("timestamp_ms", 1), ("seq", 1)]).limit(limit)
        return [_record(StoredEvent, d, "event_id") for d in await cursor.to_list(None)]

    @_guarded
    async def get_event(self, event_id: str) -> StoredEvent | None:
        """Return one inbox event."""
        doc = await self._inbox.find_one({"_id": event_id})
        return _record(StoredEvent, doc, "event_id") if doc else None

    @_guarded
    async def finish_event(
        self, event_id: str, status: EventStatus, now: datetime, error: str | None = None
    ) -> None:
        """Mark an event finished without a turn."""
        update: Doc = {"status": str(status), "finished_at": _db_time(now)}
        if error is not None:
            update["last_error"] = error
        await self._inbox.update_one({"_id": event_id}, {"$set": update})

    @_guarded
    async def finish_applied_event(self, event_id: str, now: datetime) -> None:
        """Finish the release of the user's turn if one is open; mark the event done."""
        event = await self._inbox.find_one({"_id": event_id}, {"user_id": 1})
        if event and event.get("user_id"):
            conv = await self._conversations.find_one({"_id": event["user_id"]}, {"open_turns": 1})
            if conv:
                await self._finish_turns(conv)
        await self.finish_event(event_id, EventStatus.DONE, now)

    @_guarded
    async def retry_event_later(self, event_id: str, error: str, not_before: datetime) -> int:
        """Record a failed attempt and when to try again."""
        doc = await self._inbox.find_one_and_update(
            {"_id": event_id},
            {
                "$inc": {"attempts": 1},
                "$set": {"last_error": error, "not_before": _db_time(not_before)},
            },
            projection={"attempts": 1},
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["attempts"]) if doc else 0

    @_guarded
    async def acquire_user_lease(
        self, user_id: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take the user's lease if free, expired or ours."""
        try:
            # If another owner holds a live lease the filter misses and the upsert collides
            # with the existing _id: that collision is the answer "taken".
            await self._leases.update_one(
                {"_id": user_id, "$or": [{"owner": owner}, {"until": {"$lte": _db_time(now)}}]},
                {"$set": {"owner": owner, "until": _db_time(until)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    @_guarded
    async def release_user_lease(self, user_id: str, owner: str) -> None:
        """Drop our lease on the user."""
        await self._leases.delete_one({"_id": user_id, "owner": owner})

    # --- conversations ---------------------------------------------------------------
    async def _conversation_where(self, query: dict[str, Any]) -> Conversation | None:
        """Return the conversation matching `query`, first finishing a turn a crash left open."""
        doc = await self._conversations.find_one(query)
        if doc is None:
            return None
        await self._finish_turns(doc)
        return _conversation(doc)

    @_guarded
    async def load_conversation(self, user_id: str) -> Conversation | None:
        """Return the user's conversation, first finishing a turn a crash left open."""
        return await self._conversation_where({"_id": user_id})

    @_guarded
    async def conversation_by_ref(self, ref: str) -> Conversation | None:
        """Return the conversation with this staff-facing id."""
        return await self._conversation_where({"ref": ref})

    @_guarded
    async def list_cases(self, status: CaseStatus, limit: int = 200) -> list[Conversation]:
        """Return conversations by case status in queue order (see the port)."""
        order = (
            [("case_closed", -1)]
            if status == CaseStatus.CLOSED
            else [("case_rank", -1), ("case_since", 1), ("_id", 1)]
        )
        cursor = self._conversations.find({"case_status": str(status)}).sort(order).limit(limit)
        return [_conversation(d) for d in await cursor.to_list(None)]

    @_guarded
    async def archived_cases(self, limit: int = 100) -> list[Case]:
        """Return archived closed cases, newest first."""
        cursor = self._archive.find(VISIBLE).sort("closed_at", -1).limit(limit)
        return [Case.from_dict(d["case"]) for d in await cursor.to_list(None)]

    @_guarded
    async def commit_turn(self, commit: TurnCommit) -> bool:
        """Stage the turn, compare-and-set the conversation, then release (module docstring)."""
        conv, now, token = commit.conversation, _db_time(commit.now), uuid.uuid4().hex
        version = conv.version + 1
        docs = _TurnDocs(
            # (version, pos) orders the log: a user's turns commit one version at a time.
            messages=[
                _doc(m, version=version, pos=i, turn=token) for i, m in enumerate(commit.messages)
            ],
            outbox=[_doc(o, turn=token, **_NEW_OUTBOX) for o in commit.outbox],
            jobs=[_job_doc(j, turn=token) for j in commit.jobs],
            archive=[
                {
                    "_id": c.id,
                    "closed_at": _db_time(c.closed_at or commit.now),
                    "case": c.to_dict(),
                    "turn": token,
                }
                for c in commit.archive
            ],
        )
        await self._stage(docs, now)
        applied = list(conv.applied_events)
        if commit.event_id is not None:
            applied = [*applied, commit.event_id][-APPLIED_EVENTS_KEPT:]
        turn: Doc = {
            "id": token,
            "event": commit.event_id,
            "at": now,
            "redact": list(commit.redact_line_message_ids),
        }
        case = conv.case
        saved: Doc = {
            "ref": conv.ref or None,
            "case": case.to_dict() if case else None,
            "case_status": str(case.status) if case else None,
            "case_rank": risk_rank(case.risk) if case else None,
            "case_since": _db_time(case.waiting_since) if case else None,
            "case_closed": _db_time(case.closed_at) if case and case.closed_at else None,
            "flow": conv.flow,
            "state": conv.state,
            "data": conv.data,
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

    @_guarded
    async def is_blocked(self, user_id: str) -> bool:
        """True if the user unfollowed and has not followed again."""
        doc = await self._conversations.find_one({"_id": user_id}, {"blocked": 1})
        return bool(doc and doc.get("blocked"))

    @_guarded
    async def conversation_messages(self, user_id: str, limit: int = 200) -> list[LoggedMessage]:
        """Return the newest log entries of a conversation, oldest first."""
        cursor = self._messages.find({"user_id": user_id, **VISIBLE})
        cursor = cursor.sort([("version", -1), ("pos", -1)]).limit(limit)
        return [_record(LoggedMessage, d) for d in reversed(await cursor.to_list(None))]

    # --- staging and release of turns ----------------------------------------------------
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
                for i in sorted(_duplicates_only(exc)):
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

    # --- outbox ----------------------------------------------------------------------
    @_guarded
    async def claim_outbox_heads(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 50
    ) -> list[OutboxRow]:
        """Claim each user's first unfinished row if it is due (or its lease expired)."""
        at = _db_time(now)
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
            "$set": {"status": sending, "lease_owner": owner, "lease_until": _db_time(lease_until)}
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
                claimed.append(_record(OutboxRow, doc))
        return claimed

    @_guarded
    async def set_reply_attempted(
        self, row_id: str, attempted: bool, *, drop_token: bool = False
    ) -> None:
        """Persist whether a reply attempt has an unknown outcome; maybe forget the token."""
        update: Doc = {"reply_attempted": attempted}
        if drop_token:
            update.update(reply_token=None, reply_until=None)
        await self._outbox.update_one({"_id": row_id}, {"$set": update})

    @_guarded
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
            update["sent_at"] = _db_time(now)
        if via is not None:
            update["sent_via"] = via
        if error is not None:
            update["last_error"] = error
        await self._outbox.update_one({"_id": row_id}, {"$set": update, "$inc": {"attempts": 1}})

    @_guarded
    async def reschedule_outbox(
        self, row_id: str, status: OutboxStatus, next_attempt_at: datetime, error: str | None
    ) -> None:
        """Put a row back to be tried later."""
        update = {
            "status": str(status),
            "next_attempt_at": _db_time(next_attempt_at),
            "last_error": error,
            "lease_owner": None,
            "lease_until": None,
        }
        await self._outbox.update_one({"_id": row_id}, {"$set": update, "$inc": {"attempts": 1}})

    @_guarded
    async def record_delivery(self, attempt: DeliveryAttempt) -> None:
        """Append a delivery attempt."""
        # Only the lease holder records a row's attempts, one after another: the
        # ObjectId _id breaks ties of ``at`` without a counter round trip.
        await self._deliveries.insert_one(_doc(attempt, None))

    @_guarded
    async def deliveries(self, outbox_id: str) -> list[DeliveryAttempt]:
        """Return a row's attempts, oldest first."""
        cursor = self._deliveries.find({"outbox_id": outbox_id}).sort([("at", 1), ("_id", 1)])
        return [_record(DeliveryAttempt, d, None) for d in await cursor.to_list(None)]

    @_guarded
    async def outbox_rows(self, user_id: str) -> list[OutboxRow]:
        """Return a user's visible outbox rows in send order."""
        cursor = self._outbox.find({"user_id": user_id, **VISIBLE}).sort(
            [("version", 1), ("index", 1)]
        )
        return [_record(OutboxRow, d) for d in await cursor.to_list(None)]

    @_guarded
    async def inbox_counts(self) -> dict[str, int]:
        """Count inbox events per status."""
        pipeline: list[Doc] = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        return {d["_id"]: int(d["n"]) for d in await self._inbox.aggregate(pipeline).to_list(None)}

    @_guarded
    async def outbox_counts(self) -> dict[str, int]:
        """Count visible rows per status."""
        pipeline: list[Doc] = [
            {"$match": VISIBLE},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        return {d["_id"]: int(d["n"]) for d in await self._outbox.aggregate(pipeline).to_list(None)}

    # --- timed jobs ------------------------------------------------------------------
    @_guarded
    async def schedule_job(self, job: Job) -> bool:
        """Insert a job unless its id exists or a live job has the same key."""
        doc = _job_doc(job)
        if job.key is not None and doc["status"] in LIVE_JOBS:
            doc["live_key"] = job.key
        try:
            await self._jobs.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    @_guarded
    async def claim_due_jobs(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 20
    ) -> list[Job]:
        """Claim due pending jobs and running jobs whose lease ran out."""
        at = _db_time(now)
        due: Doc = {
            "$or": [
                {"status": str(JobStatus.PENDING), "due_at": {"$lte": at}},
                {"status": str(JobStatus.RUNNING), "lease_until": {"$lte": at}},
            ],
            **VISIBLE,
        }
        claim = {
            "$set": {
                "status": str(JobStatus.RUNNING),
                "lease_owner": owner,
                "lease_until": _db_time(lease_until),
            },
            "$inc": {"attempts": 1},
        }
        cursor = self._jobs.find(due, {"_id": 1}).sort("due_at", 1).limit(limit)
        claimed: list[Job] = []
        for candidate in await cursor.to_list(None):
            # The same condition again, on this one job: of two workers, one wins.
            doc = await self._jobs.find_one_and_update(
                {**due, "_id": candidate["_id"]}, claim, return_document=ReturnDocument.AFTER
            )
            if doc:
                claimed.append(_record(Job, doc))
        return sorted(claimed, key=lambda j: j.due_at)

    @_guarded
    async def finish_job(self, job_id: str, status: JobStatus, error: str | None = None) -> None:
        """Mark a job done or failed; its key is free again."""
        update: Doc = {
            "$set": {
                "status": str(status),
                "last_error": error,
                "lease_owner": None,
                "lease_until": None,
            }
        }
        if str(status) not in LIVE_JOBS:
            update["$unset"] = {"live_key": ""}
        await self._jobs.update_one({"_id": job_id}, update)

    @_guarded
    async def retry_job(self, job_id: str, due_at: datetime, error: str) -> None:
        """Put a claimed job back as pending (it keeps its live key)."""
        update = {
            "status": str(JobStatus.PENDING),
            "due_at": _db_time(due_at),
            "last_error": error,
            "lease_owner": None,
            "lease_until": None,
        }
        await self._jobs.update_one({"_id": job_id}, {"$set": update})

    # --- staff, content, audit ---------------------------------------------------------
    @_guarded
    async def add_staff(self, member: StaffMember) -> None:
        """Insert a staff member; AlreadyExists if the login (or id) is taken."""
        try:
            await self._staff.insert_one(_doc(member))
        except DuplicateKeyError as exc:
            raise AlreadyExists(f"staff login {member.login!r} is taken") from exc

    @_guarded
    async def staff_by_login(self, login: str) -> StaffMember | None:
        """Return the staff member with this login."""
        doc = await self._staff.find_one({"login": login})
        return _record(StaffMember, doc) if doc else None

    @_guarded
    async def staff_by_id(self, staff_id: str) -> StaffMember | None:
        """Return the staff member with this id."""
        doc = await self._staff.find_one({"_id": staff_id})
        return _record(StaffMember, doc) if doc else None

    @_guarded
    async def set_on_duty(self, staff_id: str, on_duty: bool) -> None:
        """Record the on-duty switch."""
        await self._staff.update_one({"_id": staff_id}, {"$set": {"on_duty": on_duty}})

    @_guarded
    async def touch_staff(self, staff_id: str, at: datetime) -> None:
        """Record when the staff member was last present."""
        await self._staff.update_one({"_id": staff_id}, {"$set": {"last_seen_at": _db_time(at)}})

    @_guarded
    async def create_session(self, session: StaffSession) -> None:
        """Insert a session (and drop expired ones while at it)."""
        await self._sessions.delete_many({"expires_at": {"$lte": _db_time(session.created_at)}})
        await self._sessions.insert_one(_doc(session, id_field="token_hash"))

    @_guarded
    async def get_session(self, token_hash: str, now: datetime) -> StaffSession | None:
        """Return a live session."""
        doc = await self._sessions.find_one(
            {"_id": token_hash, "expires_at": {"$gt": _db_time(now)}}
        )
        return _record(StaffSession, doc, id_field="token_hash") if doc else None

    @_guarded
    async def delete_session(self, token_hash: str) -> None:
        """Delete a session."""
        await self._sessions.delete_one({"_id": token_hash})

    @_guarded
    async def list_staff(self) -> list[StaffMember]:
        """Return all staff by login."""
        return [
            _record(StaffMember, d) for d in await self._staff.find().sort("login", 1).to_list(None)
        ]

    @_guarded
    async def save_content_version(
        self, kind: str, name: str, body: str, sha256: str, source: str, now: datetime
    ) -> ContentVersion:
        """Store the next version of a content file and make it the active one."""
        same_file = {"kind": kind, "name": name}
        while True:
            top = await self._content.find(same_file, {"version": 1}).sort("version", -1).to_list(1)
            version = (int(top[0]["version"]) if top else 0) + 1
            saved = ContentVersion(
                kind, name, version, body, sha256, source, _aware(_db_time(now)), True
            )
            try:
                await self._content.insert_one(_doc(saved, None))
            except DuplicateKeyError:
                continue  # another admin saved this file at the same moment: take the next number
            break
        # Insert, then deactivate only older versions: there is never a moment without an
        # active version, and of two concurrent saves the newer one stays active.
        await self._content.update_many(
            {**same_file, "version": {"$lt": version}}, {"$set": {"active": False}}
        )
        return saved

    @_guarded
    async def active_content(self, kind: str) -> list[ContentVersion]:
        """Return the active version of each file of a kind, by name."""
        cursor = self._content.find({"kind": kind, "active": True}).sort(
            [("name", 1), ("version", -1)]
        )
        latest: dict[str, ContentVersion] = {}
        for doc in await cursor.to_list(None):
            # Between a save's insert and its deactivation, two versions may be active.
            latest.setdefault(doc["name"], _record(ContentVersion, doc, None))
        return list(latest.values())

    @_guarded
    async def content_versions(self, kind: str, name: str) -> list[ContentVersion]:
        """Return all versions of one content file, newest first."""
        cursor = self._content.find({"kind": kind, "name": name}).sort("version", -1)
        return [_record(ContentVersion, d, None) for d in await cursor.to_list(None)]

    @_guarded
    async def append_audit(self, entry: AuditEntry) -> None:
        """Append an audit entry."""
        # A counter, not ``at``: entries of the same millisecond keep their order.
        await self._audit.insert_one(_doc(entry, seq=await self._next_seq("audit")))

    @_guarded
    async def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        """Return the newest audit entries first."""
        cursor = self._audit.find().sort("seq", -1).limit(limit)
        return [_record(AuditEntry, d) for d in await cursor.to_list(None)]

    # --- retention ---------------------------------------------------------------------
    @_guarded
    async def purge(self, messages_before: datetime, inbox_before: datetime) -> dict[str, int]:
        """Delete old log entries and finished inbox events, after finishing open turns."""
        # A crashed turn of a user who never came back is still open: release it first,
        # so that the staging deleted below is only that of attempts that never committed.
        cursor = self._conversations.find({"open_turns.id": {"$exists": True}}, {"open_turns": 1})
        for doc in await cursor.to_list(None):
            await self._finish_turns(doc)
        cut = _db_time(messages_before)
        messages = await self._messages.delete_many({"at": {"$lt": cut}, **VISIBLE})
        inbox = await self._inbox.delete_many(
            {"status": {"$ne": PENDING}, "finished_at": {"$lt": _db_time(inbox_before)}}
        )
        for coll in (self._messages, self._outbox, self._jobs, self._archive):
            await coll.delete_many({"staged": {"$lt": cut}})
        return {"messages": messages.deleted_count, "inbox": inbox.deleted_count}


def _conversation(doc: Doc) -> Conversation:
    """Build a Conversation from its document (the case is kept as ``Case.to_dict`` data)."""
    case = doc.get("case")
    plain = {k: v for k, v in doc.items() if k not in ("case", "ref")}
    conversation = _record(Conversation, plain, "user_id")
    conversation.ref = doc.get("ref") or ""
    conversation.case = Case.from_dict(case) if case else None
    return conversation


def _job_doc(job: Job, **extra: Any) -> Doc:
    return _doc(job, **_NEW_JOB, **extra)


async def _put_unless_visible(coll: Collection, doc: Doc) -> bool:
    """Write ``doc`` over its staging, or insert it; False if a visible doc wins the key."""
    try:
        await coll.replace_one({"_id": doc["_id"], **STAGED}, doc, upsert=True)
    except DuplicateKeyError:
        return False
    return True
