"""The MongoDB client and collections every role of the adapter shares, and its errors.

Driver errors leave as yorisoi's: lost connections and timeouts as ``StoreUnavailable``,
anything else the driver refuses as ``StoreError`` (``guarded``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, Self, TypeVar

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import ReturnDocument
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError, WTimeoutError

from yorisoi.store.mongo.documents import STAGED, Doc
from yorisoi.store.records import StoreError, StoreUnavailable

Collection = AsyncIOMotorCollection[Doc]
P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_DATABASE = "yorisoi"
# ConnectionFailure covers AutoReconnect, NetworkTimeout, NotPrimaryError and
# ServerSelectionTimeoutError; the other two are timeouts reported by the server.
UNAVAILABLE = (ConnectionFailure, ExecutionTimeout, WTimeoutError)


def guarded(method: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Translate driver errors into the port's errors."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except UNAVAILABLE as exc:
            raise StoreUnavailable(f"MongoDB: {exc}") from exc
        except PyMongoError as exc:
            # Not the driver's text: a bulk write error quotes the documents (user ids, texts).
            code = getattr(exc, "code", None)
            raise StoreError(f"MongoDB {type(exc).__name__} (code {code})") from None

    return wrapper


class MongoBase:
    """The client, the database and its collections; each role's class builds on this one."""

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
    ) -> Self:
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
    ) -> Self:
        """Use a client made elsewhere (mongomock in tests); ``close`` closes it."""
        return await cls._open(client, client[database], drop_on_close)

    @classmethod
    async def _open(
        cls, client: AsyncIOMotorClient[Doc], db: AsyncIOMotorDatabase[Doc], drop: bool
    ) -> Self:
        store = cls(client, db, drop)
        try:
            await store._create_indexes()
        except BaseException:
            client.close()
            raise
        return store

    @guarded
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
        # The queue views (find_cases): closed newest first, "mine", and the counts.
        await self._conversations.create_index(
            [("case_status", 1), ("case_closed", -1), ("_id", -1)]
        )
        await self._conversations.create_index(
            [("case.assigned_to", 1), ("case_rank", -1), ("case_since", 1), ("_id", 1)]
        )
        await self._conversations.create_index(
            [("case_status", 1), ("case.topic", 1), ("case.risk", 1), ("case.assigned_to", 1)]
        )
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
                await guarded(self._client.drop_database)(self._db.name)
        finally:
            self._client.close()

    @guarded
    async def ping(self) -> None:
        """Raise StoreUnavailable unless the server answers."""
        await self._db.command("ping")

    async def _next_seq(self, name: str, count: int = 1) -> int:
        """Reserve ``count`` numbers of a counter shared by all processes; return the last."""
        doc = await self._counters.find_one_and_update(
            {"_id": name}, {"$inc": {"n": count}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return int(doc["n"]) if doc else count
