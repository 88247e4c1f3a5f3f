"""What the MongoDB adapter promises beyond the contract: staged turns and their recovery."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from harness import user_text
from mongomock_motor import AsyncMongoMockClient
from pymongo.errors import AutoReconnect

from yorisoi.clock import FakeClock
from yorisoi.store.mongo import MongoStore
from yorisoi.store.records import (
    Conversation,
    EventStatus,
    InboundEvent,
    Job,
    LoggedMessage,
    OutboxRow,
    StoreUnavailable,
    TurnCommit,
)

USER = "U" + "c" * 32


@pytest.fixture
def client() -> AsyncMongoMockClient:
    return AsyncMongoMockClient()


@pytest.fixture
async def store(client: AsyncMongoMockClient) -> AsyncIterator[MongoStore]:
    opened = await MongoStore.with_client(client, "yorisoi_test")
    try:
        yield opened
    finally:
        await opened.close()


def inbound(event_id: str, clock: FakeClock, text: str = "hi") -> InboundEvent:
    raw = {
        "type": "message",
        "webhookEventId": event_id,
        "timestamp": 1000,
        "source": {"type": "user", "userId": USER},
        "message": {"type": "text", "id": f"m-{event_id}", "text": text},
    }
    return InboundEvent(
        event_id=event_id,
        user_id=USER,
        type="message",
        timestamp_ms=1000,
        received_at=clock.now(),
        raw=json.dumps(raw),
        line_message_id=f"m-{event_id}",
    )


def turn(
    clock: FakeClock,
    version: int,
    *texts: str,
    event_id: str | None = None,
    jobs: tuple[Job, ...] = (),
    log: tuple[LoggedMessage, ...] = (),
) -> TurnCommit:
    conv = Conversation(user_id=USER, flow="default", state=f"s{version + 1}", version=version)
    rows = [
        OutboxRow(
            id=uuid.uuid4().hex,
            user_id=USER,
            version=version + 1,
            index=i,
            messages=[{"type": "text", "text": t}],
            retry_key=str(uuid.uuid4()),
            created_at=clock.now(),
            next_attempt_at=clock.now(),
        )
        for i, t in enumerate(texts)
    ]
    return TurnCommit(
        conversation=conv,
        now=clock.now(),
        event_id=event_id,
        outbox=rows,
        jobs=list(jobs),
        messages=list(log),
    )


async def crash_after_commit_point(
    store: MongoStore, monkeypatch: pytest.MonkeyPatch, commit: TurnCommit
) -> None:
    """Commit a turn whose process loses the database right after the compare-and-set."""

    async def lost(self: MongoStore, token: str, docs: Any) -> None:
        raise AutoReconnect("connection closed")

    with monkeypatch.context() as patch:
        patch.setattr(MongoStore, "_release", lost)
        with pytest.raises(StoreUnavailable):
            await store.commit_turn(commit)


async def test_finish_applied_event_releases_a_turn_cut_short(
    store: MongoStore,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    client: AsyncMongoMockClient,
) -> None:
    await store.add_events([inbound("e1", clock)])
    job = Job(id="j1", kind="morning_reply", due_at=clock.now(), key="morning")
    log = (user_text(USER, "hi", clock.now(), "e1"),)
    await crash_after_commit_point(
        store, monkeypatch, turn(clock, 0, "one", "two", event_id="e1", jobs=(job,), log=log)
    )
    # committed but not released: nobody may see, send or run any of it yet
    assert await store.outbox_rows(USER) == []
    assert await store.outbox_counts() == {}
    assert await store.conversation_messages(USER) == []
    assert (
        await store.claim_outbox_heads(clock.now(), "w", clock.now() + timedelta(seconds=30)) == []
    )
    assert await store.claim_due_jobs(clock.now(), "w", clock.now() + timedelta(seconds=30)) == []
    stored = await store.get_event("e1")
    assert stored is not None and stored.status is EventStatus.PENDING
    raw = await client["yorisoi_test"]["conversations"].find_one({"_id": USER})
    assert raw["applied_events"] == ["e1"]  # how the caller knows to finish, not redo, e1

    await store.finish_applied_event("e1", clock.now())
    await store.finish_applied_event("e1", clock.now())  # a second recovery changes nothing
    assert [r.messages[0]["text"] for r in await store.outbox_rows(USER)] == ["one", "two"]
    assert [m.id for m in await store.conversation_messages(USER)] == ["in:e1"]
    [head] = await store.claim_outbox_heads(clock.now(), "w", clock.now() + timedelta(seconds=30))
    assert head.messages[0]["text"] == "one"
    [claimed] = await store.claim_due_jobs(clock.now(), "w", clock.now() + timedelta(seconds=30))
    assert claimed.id == "j1"
    assert not await store.schedule_job(Job(id="j2", kind="k", due_at=clock.now(), key="morning"))
    stored = await store.get_event("e1")
    assert stored is not None and stored.status is EventStatus.DONE


async def test_next_turn_releases_the_turn_before_it_first(
    store: MongoStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await crash_after_commit_point(store, monkeypatch, turn(clock, 0, "first"))
    # a worker that read version 1 before the crash commits on top of it
    assert await store.commit_turn(turn(clock, 1, "second"))
    rows = await store.outbox_rows(USER)
    assert [(r.version, r.messages[0]["text"]) for r in rows] == [(1, "first"), (2, "second")]


async def test_a_second_crash_does_not_hide_the_first_open_turn(
    store: MongoStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await crash_after_commit_point(store, monkeypatch, turn(clock, 0, "first"))
    # this one commits, then dies while finishing the turn before it
    await crash_after_commit_point(store, monkeypatch, turn(clock, 1, "second"))
    conv = await store.load_conversation(USER)
    assert conv is not None and conv.version == 2
    rows = await store.outbox_rows(USER)
    assert [(r.version, r.messages[0]["text"]) for r in rows] == [(1, "first"), (2, "second")]


async def test_loading_or_purging_releases_an_open_turn(
    store: MongoStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await crash_after_commit_point(store, monkeypatch, turn(clock, 0, "loaded"))
    conv = await store.load_conversation(USER)
    assert conv is not None and conv.version == 1
    assert [r.messages[0]["text"] for r in await store.outbox_rows(USER)] == ["loaded"]

    await crash_after_commit_point(store, monkeypatch, turn(clock, 1, "purged"))
    clock.advance(days=10)
    await store.purge(clock.now() - timedelta(days=5), clock.now() - timedelta(days=5))
    assert [r.messages[0]["text"] for r in await store.outbox_rows(USER)] == ["loaded", "purged"]


async def test_lost_turn_leaves_nothing_and_purge_drops_dead_staging(
    store: MongoStore, clock: FakeClock, client: AsyncMongoMockClient
) -> None:
    assert await store.commit_turn(turn(clock, 0, "winner"))
    assert not await store.commit_turn(turn(clock, 0, "loser"))
    db = client["yorisoi_test"]
    assert await db["outbox"].count_documents({}) == 1
    # an attempt that died before its compare-and-set: invisible, then purged
    await db["outbox"].insert_one(
        {
            "_id": "dead",
            "user_id": USER,
            "status": "pending",
            "turn": "t",
            "staged": clock.now().replace(tzinfo=None),
        }
    )
    assert len(await store.outbox_rows(USER)) == 1
    clock.advance(days=10)
    await store.purge(clock.now() - timedelta(days=5), clock.now() - timedelta(days=5))
    assert await db["outbox"].find_one({"_id": "dead"}) is None


async def test_staging_left_over_with_the_same_id_is_taken_over(
    store: MongoStore, clock: FakeClock, client: AsyncMongoMockClient
) -> None:
    messages = client["yorisoi_test"]["messages"]
    await messages.insert_one(
        {
            "_id": "in:e1",
            "user_id": USER,
            "text": "stale",
            "turn": "old",
            "staged": clock.now().replace(tzinfo=None),
        }
    )
    await messages.insert_one(
        {
            "_id": "in:e0",
            "user_id": USER,
            "direction": "in",
            "kind": "text",
            "text": "kept",
            "at": clock.now(),
            "version": 0,
            "pos": 0,
        }
    )
    log = tuple(
        LoggedMessage(id=i, user_id=USER, direction="in", kind="text", text="new", at=clock.now())
        for i in ("in:e0", "in:e1")
    )
    assert await store.commit_turn(turn(clock, 0, log=log))
    got = await store.conversation_messages(USER)
    assert [(m.id, m.text) for m in got] == [("in:e0", "kept"), ("in:e1", "new")]


async def test_datetimes_come_back_aware_utc_at_millisecond_precision(
    store: MongoStore, clock: FakeClock
) -> None:
    clock.advance(0.123456)
    await store.add_events([inbound("e1", clock)])
    stored = await store.get_event("e1")
    assert stored is not None and stored.received_at.tzinfo is UTC
    assert stored.received_at == clock.now().replace(microsecond=123000)


async def test_indexes_are_created_idempotently(client: AsyncMongoMockClient) -> None:
    first = await MongoStore.with_client(client, "twice")
    second = await MongoStore.with_client(client, "twice")
    await second.ping()
    await first.close()


async def test_database_name_comes_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_indexes(self: MongoStore) -> None:
        return None

    monkeypatch.setattr(MongoStore, "_create_indexes", no_indexes)  # no server here
    named = await MongoStore.connect("mongodb://127.0.0.1:1/counselling")
    plain = await MongoStore.connect("mongodb://127.0.0.1:1")
    try:
        assert (named._db.name, plain._db.name) == ("counselling", "yorisoi")
    finally:
        await named.close()
        await plain.close()


async def test_unreachable_server_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable):
        await MongoStore.connect("mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=100")
