"""The storage contract: every adapter must pass these, on the same inputs."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import cast

import pytest
from harness import user_text

from yorisoi.clock import FakeClock
from yorisoi.domain.data import ConversationData
from yorisoi.store.ports import Inspection, Store
from yorisoi.store.records import (
    AlreadyExists,
    AuditEntry,
    Case,
    CaseStatus,
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
    TurnCommit,
)

USER_A = "U" + "a" * 32
USER_B = "U" + "b" * 32


def event(
    event_id: str,
    user: str = USER_A,
    ts: int = 1000,
    *,
    clock: FakeClock,
    text: str = "hi",
    message_id: str | None = None,
) -> InboundEvent:
    raw = {
        "type": "message",
        "webhookEventId": event_id,
        "timestamp": ts,
        "source": {"type": "user", "userId": user},
        "message": {"type": "text", "id": message_id or event_id, "text": text},
    }
    return InboundEvent(
        event_id=event_id,
        user_id=user,
        type="message",
        timestamp_ms=ts,
        received_at=clock.now(),
        raw=json.dumps(raw),
        line_message_id=message_id or event_id,
    )


def outbox_row(
    user: str,
    version: int,
    index: int,
    clock: FakeClock,
    text: str = "hello",
    reply_token: str | None = None,
) -> OutboxRow:
    return OutboxRow(
        id=uuid.uuid4().hex,
        user_id=user,
        version=version,
        index=index,
        messages=[{"type": "text", "text": text}],
        retry_key=str(uuid.uuid4()),
        created_at=clock.now(),
        next_attempt_at=clock.now(),
        reply_token=reply_token,
        reply_until=clock.now() + timedelta(seconds=50) if reply_token else None,
    )


async def commit(
    store: Store,
    clock: FakeClock,
    conv: Conversation,
    *,
    state: str,
    event_id: str | None = None,
    texts: tuple[str, ...] = (),
    **extra: object,
) -> bool:
    """Commit a turn moving ``conv`` to ``state`` with one outbox row per text."""
    new = Conversation(
        user_id=conv.user_id,
        flow=conv.flow,
        state=state,
        version=conv.version,
        data=conv.data.copy(),
        blocked=conv.blocked,
        applied_events=list(conv.applied_events),
    )
    rows = [outbox_row(conv.user_id, conv.version + 1, i, clock, t) for i, t in enumerate(texts)]
    return await store.commit_turn(
        TurnCommit(conversation=new, now=clock.now(), event_id=event_id, outbox=rows, **extra)  # type: ignore[arg-type]
    )


def inspect(store: Store) -> Inspection:
    """Return the store's reads for tests (every adapter has them; the port does not)."""
    return cast(Inspection, store)


def fresh(user: str = USER_A) -> Conversation:
    return Conversation(user_id=user, flow="default", state="new")


# --- inbox --------------------------------------------------------------------------


async def test_add_events_is_idempotent_on_event_id(store: Store, clock: FakeClock) -> None:
    added = await store.add_events([event("e1", clock=clock), event("e2", clock=clock)])
    assert added == ["e1", "e2"]
    again = await store.add_events([event("e1", clock=clock), event("e3", clock=clock)])
    assert again == ["e3"]
    stored = await inspect(store).get_event("e1")
    assert stored is not None and stored.status is EventStatus.PENDING
    assert json.loads(stored.raw)["message"]["text"] == "hi"


async def test_concurrent_add_events_all_land(store: Store, clock: FakeClock) -> None:
    results = await asyncio.gather(
        *(store.add_events([event(f"c{i}", ts=i, clock=clock)]) for i in range(30))
    )
    assert sorted(r[0] for r in results) == sorted(f"c{i}" for i in range(30))
    assert len(await store.pending_events(USER_A, limit=100)) == 30


async def test_pending_events_in_timestamp_order(store: Store, clock: FakeClock) -> None:
    await store.add_events(
        [event("late", ts=3000, clock=clock), event("early", ts=1000, clock=clock)]
    )
    await store.add_events(
        [event("mid", ts=2000, clock=clock), event("other", USER_B, clock=clock)]
    )
    assert [e.event_id for e in await store.pending_events(USER_A)] == ["early", "mid", "late"]
    assert set(await store.users_with_pending_events()) == {USER_A, USER_B}
    await store.finish_event("early", EventStatus.IGNORED, clock.now())
    assert [e.event_id for e in await store.pending_events(USER_A)] == ["mid", "late"]
    assert await store.inbox_counts() == {"pending": 3, "ignored": 1}


async def test_retry_event_later_counts_attempts(store: Store, clock: FakeClock) -> None:
    await store.add_events([event("e1", clock=clock)])
    assert await store.retry_event_later("e1", "boom", clock.now() + timedelta(seconds=5)) == 1
    assert (
        await store.retry_event_later("e1", "boom again", clock.now() + timedelta(seconds=9)) == 2
    )
    stored = await inspect(store).get_event("e1")
    assert stored is not None
    assert stored.attempts == 2 and stored.last_error == "boom again"
    assert stored.not_before == clock.now() + timedelta(seconds=9)
    await store.finish_event("e1", EventStatus.FAILED, clock.now(), "gave up")
    stored = await inspect(store).get_event("e1")
    assert stored is not None and stored.status is EventStatus.FAILED


async def test_user_lease_is_exclusive_until_expiry(store: Store, clock: FakeClock) -> None:
    until = clock.now() + timedelta(seconds=30)
    assert await store.acquire_user_lease(USER_A, "w1", clock.now(), until)
    assert not await store.acquire_user_lease(USER_A, "w2", clock.now(), until)
    assert await store.acquire_user_lease(USER_A, "w1", clock.now(), until)  # renew
    assert await store.acquire_user_lease(USER_B, "w2", clock.now(), until)
    clock.advance(31)
    assert await store.acquire_user_lease(
        USER_A, "w2", clock.now(), clock.now() + timedelta(seconds=30)
    )
    await store.release_user_lease(USER_A, "w1")  # not ours any more: no effect
    assert not await store.acquire_user_lease(USER_A, "w1", clock.now(), clock.now())
    await store.release_user_lease(USER_A, "w2")
    assert await store.acquire_user_lease(
        USER_A, "w1", clock.now(), clock.now() + timedelta(seconds=1)
    )


# --- conversations and turns --------------------------------------------------------


async def test_first_turn_creates_conversation(store: Store, clock: FakeClock) -> None:
    await store.add_events([event("e1", clock=clock)])
    assert await store.load_conversation(USER_A) is None
    assert await commit(store, clock, fresh(), state="greeting", event_id="e1", texts=("hi",))
    conv = await store.load_conversation(USER_A)
    assert conv is not None
    assert (conv.state, conv.version, conv.applied_events) == ("greeting", 1, ["e1"])
    stored = await inspect(store).get_event("e1")
    assert stored is not None and stored.status is EventStatus.DONE
    assert await store.pending_events(USER_A) == []


async def test_version_conflict_saves_nothing(store: Store, clock: FakeClock) -> None:
    await store.add_events([event("e1", clock=clock), event("e2", ts=2000, clock=clock)])
    assert await commit(store, clock, fresh(), state="greeting", event_id="e1", texts=("one",))
    stale = await store.load_conversation(USER_A)
    assert stale is not None
    assert await commit(store, clock, stale, state="menu", texts=("two",))
    # a second worker still holding version 1 loses, and none of its writes appear
    assert not await commit(store, clock, stale, state="elsewhere", event_id="e2", texts=("three",))
    conv = await store.load_conversation(USER_A)
    assert conv is not None and (conv.state, conv.version) == ("menu", 2)
    assert [r.messages[0]["text"] for r in await store.outbox_rows(USER_A)] == ["one", "two"]
    stored = await inspect(store).get_event("e2")
    assert stored is not None and stored.status is EventStatus.PENDING


async def test_two_new_conversations_race(store: Store, clock: FakeClock) -> None:
    results = await asyncio.gather(
        commit(store, clock, fresh(), state="a", texts=("a",)),
        commit(store, clock, fresh(), state="b", texts=("b",)),
    )
    assert sorted(results) == [False, True]
    assert len(await store.outbox_rows(USER_A)) == 1


async def test_turn_saves_data_blocked_messages_and_jobs(store: Store, clock: FakeClock) -> None:
    conv = fresh()
    conv.data = ConversationData.from_dict({"terms_shown_at": "now", "nested": {"n": 1}})
    conv.blocked = True
    log = [
        user_text(USER_A, "つらい", clock.now(), "e1", "m1"),
        LoggedMessage(
            id="out:x:0",
            user_id=USER_A,
            direction="out",
            kind="text",
            text="うん",
            at=clock.now(),
            payload={"quick_replies": ["a"]},
        ),
    ]
    job = Job(
        id="j1",
        kind="morning_reply",
        due_at=clock.now() + timedelta(hours=6),
        payload={"user": USER_A},
        key="morning:" + USER_A,
    )
    assert await commit(store, clock, conv, state="menu", messages=log, jobs=[job])
    saved = await store.load_conversation(USER_A)
    assert saved is not None
    assert saved.data.to_dict() == {"terms_shown_at": "now", "nested": {"n": 1}} and saved.blocked
    assert await store.is_blocked(USER_A) and not await store.is_blocked(USER_B)
    got = await store.conversation_messages(USER_A)
    assert [(m.direction, m.text) for m in got] == [("in", "つらい"), ("out", "うん")]
    assert got[1].payload == {"quick_replies": ["a"]} and got[0].at == clock.now()
    assert not await store.schedule_job(job)  # same key still pending


async def test_redact_removes_message_body_everywhere(store: Store, clock: FakeClock) -> None:
    await store.add_events([event("e1", clock=clock, text="秘密の話", message_id="m1")])
    log = [user_text(USER_A, "秘密の話", clock.now(), "e1", "m1")]
    assert await commit(store, clock, fresh(), state="menu", event_id="e1", messages=log)
    conv = await store.load_conversation(USER_A)
    assert conv is not None
    assert await commit(store, clock, conv, state="menu", redact_line_message_ids=["m1"])
    [entry] = await store.conversation_messages(USER_A)
    assert entry.redacted and entry.text is None
    stored = await inspect(store).get_event("e1")
    assert stored is not None and "秘密" not in stored.raw
    assert json.loads(stored.raw)["message"]["id"] == "m1"


async def test_finish_applied_event(store: Store, clock: FakeClock) -> None:
    await store.add_events([event("e1", clock=clock)])
    await store.finish_applied_event("e1", clock.now())
    stored = await inspect(store).get_event("e1")
    assert stored is not None and stored.status is EventStatus.DONE


async def test_applied_events_are_capped(store: Store, clock: FakeClock) -> None:
    conv = fresh()
    for i in range(60):
        await store.add_events([event(f"e{i}", ts=i, clock=clock)])
        assert await commit(store, clock, conv, state="menu", event_id=f"e{i}")
        loaded = await store.load_conversation(USER_A)
        assert loaded is not None
        conv = loaded
    assert len(conv.applied_events) == 50 and conv.applied_events[-1] == "e59"
    assert conv.version == 60


# --- outbox -------------------------------------------------------------------------


async def test_outbox_heads_keep_per_user_order(store: Store, clock: FakeClock) -> None:
    assert await commit(store, clock, fresh(), state="s", texts=("a1", "a2"))
    assert await commit(store, clock, fresh(USER_B), state="s", texts=("b1",))
    lease = clock.now() + timedelta(seconds=30)
    heads = await store.claim_outbox_heads(clock.now(), "w", lease)
    assert sorted(r.messages[0]["text"] for r in heads) == ["a1", "b1"]
    assert all(r.status is OutboxStatus.SENDING for r in heads)
    # nothing more while the heads are in flight
    assert await store.claim_outbox_heads(clock.now(), "w", lease) == []
    a1 = next(r for r in heads if r.user_id == USER_A)
    await store.finish_outbox(a1.id, OutboxStatus.SENT, clock.now(), via="reply")
    [a2] = await store.claim_outbox_heads(clock.now(), "w", lease)
    assert a2.messages[0]["text"] == "a2"
    rows = await store.outbox_rows(USER_A)
    assert rows[0].status is OutboxStatus.SENT and rows[0].sent_via == "reply"
    assert rows[0].sent_at == clock.now()


async def test_outbox_backoff_holds_later_rows(store: Store, clock: FakeClock) -> None:
    assert await commit(store, clock, fresh(), state="s", texts=("first", "second"))
    lease = clock.now() + timedelta(seconds=30)
    [first] = await store.claim_outbox_heads(clock.now(), "w", lease)
    await store.reschedule_outbox(
        first.id, OutboxStatus.PENDING, clock.now() + timedelta(seconds=10), "HTTP 500"
    )
    assert await store.claim_outbox_heads(clock.now(), "w", lease) == []
    clock.advance(10)
    [again] = await store.claim_outbox_heads(clock.now(), "w", clock.now() + timedelta(seconds=30))
    assert again.id == first.id and again.attempts == 1 and again.last_error == "HTTP 500"


async def test_waiting_quota_rows_come_back_when_due(store: Store, clock: FakeClock) -> None:
    assert await commit(store, clock, fresh(), state="s", texts=("x",))
    [row] = await store.claim_outbox_heads(clock.now(), "w", clock.now() + timedelta(seconds=30))
    await store.reschedule_outbox(
        row.id, OutboxStatus.WAITING_QUOTA, clock.now() + timedelta(hours=1), "monthly limit"
    )
    assert (await store.outbox_counts()).get("waiting_quota") == 1
    clock.advance(3600)
    [back] = await store.claim_outbox_heads(clock.now(), "w", clock.now() + timedelta(seconds=30))
    assert back.id == row.id


async def test_expired_sending_lease_is_reclaimed(store: Store, clock: FakeClock) -> None:
    assert await commit(store, clock, fresh(), state="s", texts=("x",))
    [row] = await store.claim_outbox_heads(
        clock.now(), "crashed", clock.now() + timedelta(seconds=30)
    )
    await store.set_reply_attempted(row.id, True)
    clock.advance(31)
    [again] = await store.claim_outbox_heads(clock.now(), "w2", clock.now() + timedelta(seconds=30))
    assert again.id == row.id and again.reply_attempted


async def test_reply_token_can_be_dropped(store: Store, clock: FakeClock) -> None:
    row = outbox_row(USER_A, 1, 0, clock, reply_token="tok")
    assert await store.commit_turn(TurnCommit(conversation=fresh(), now=clock.now(), outbox=[row]))
    await store.set_reply_attempted(row.id, True)
    await store.set_reply_attempted(row.id, False, drop_token=True)
    [stored] = await store.outbox_rows(USER_A)
    assert (stored.reply_attempted, stored.reply_token, stored.reply_until) == (False, None, None)


async def test_reply_token_and_retry_key_round_trip(store: Store, clock: FakeClock) -> None:
    row = outbox_row(USER_A, 1, 0, clock, reply_token="tok")
    conv = fresh()
    assert await store.commit_turn(TurnCommit(conversation=conv, now=clock.now(), outbox=[row]))
    [stored] = await store.outbox_rows(USER_A)
    assert (stored.reply_token, stored.retry_key, stored.reply_until) == (
        row.reply_token,
        row.retry_key,
        row.reply_until,
    )
    assert stored.messages == row.messages


async def test_deliveries_are_recorded_in_order(store: Store, clock: FakeClock) -> None:
    for outcome in ("retry", "sent"):
        await store.record_delivery(
            DeliveryAttempt(
                "row1",
                clock.now(),
                "push",
                outcome,
                500 if outcome == "retry" else 200,
                None,
                "req",
            )
        )
        clock.advance(1)
    got = await inspect(store).deliveries("row1")
    assert [(d.outcome, d.status) for d in got] == [("retry", 500), ("sent", 200)]


async def test_outbox_counts(store: Store, clock: FakeClock) -> None:
    assert await commit(store, clock, fresh(), state="s", texts=("a", "b"))
    [row] = await store.claim_outbox_heads(clock.now(), "w", clock.now() + timedelta(seconds=5))
    await store.finish_outbox(row.id, OutboxStatus.SKIPPED_BLOCKED, clock.now())
    assert await store.outbox_counts() == {"skipped_blocked": 1, "pending": 1}


# --- jobs ---------------------------------------------------------------------------


async def test_jobs_claim_due_with_lease(store: Store, clock: FakeClock) -> None:
    soon = Job(id="j1", kind="k", due_at=clock.now() + timedelta(seconds=10), key="once")
    later = Job(id="j2", kind="k", due_at=clock.now() + timedelta(hours=1))
    assert await store.schedule_job(soon) and await store.schedule_job(later)
    assert not await store.schedule_job(Job(id="j3", kind="k", due_at=clock.now(), key="once"))
    assert await store.claim_due_jobs(clock.now(), "w", clock.now() + timedelta(seconds=60)) == []
    clock.advance(10)
    [claimed] = await store.claim_due_jobs(clock.now(), "w", clock.now() + timedelta(seconds=60))
    assert claimed.id == "j1" and claimed.status is JobStatus.RUNNING and claimed.attempts == 1
    assert await store.claim_due_jobs(clock.now(), "w2", clock.now() + timedelta(seconds=60)) == []
    clock.advance(61)  # the claimer died: the lease runs out and the job is claimed again
    [again] = await store.claim_due_jobs(clock.now(), "w2", clock.now() + timedelta(seconds=60))
    assert again.id == "j1" and again.attempts == 2
    await store.retry_job("j1", clock.now() + timedelta(seconds=30), "flaky")
    clock.advance(30)
    [third] = await store.claim_due_jobs(clock.now(), "w2", clock.now() + timedelta(seconds=60))
    assert third.last_error == "flaky"
    await store.finish_job("j1", JobStatus.DONE)
    # once done, the key is free again
    assert await store.schedule_job(Job(id="j4", kind="k", due_at=clock.now(), key="once"))


# --- staff, content, audit ------------------------------------------------------------


async def test_staff(store: Store, clock: FakeClock) -> None:
    member = StaffMember(
        id="s1",
        login="sato",
        display_name="佐藤",
        role="responder",
        password_hash="$argon2id$x",
        created_at=clock.now(),
        topics=["youth", "mothers"],
    )
    await store.add_staff(member)
    with pytest.raises(AlreadyExists):
        await store.add_staff(
            StaffMember(
                id="s2",
                login="sato",
                display_name="x",
                role="admin",
                password_hash="h",
                created_at=clock.now(),
            )
        )
    assert await store.staff_by_login("sato") == member
    assert await store.staff_by_login("nobody") is None
    await store.add_staff(
        StaffMember(
            id="s3",
            login="abe",
            display_name="阿部",
            role="admin",
            password_hash="h",
            created_at=clock.now(),
        )
    )
    assert [m.login for m in await store.list_staff()] == ["abe", "sato"]
    assert await store.staff_by_id("s1") == member and await store.staff_by_id("nope") is None
    await store.set_on_duty("s1", True)
    on = await store.staff_by_login("sato")
    assert on is not None and on.on_duty
    await store.set_on_duty("s1", False)
    off = await store.staff_by_id("s1")
    assert off is not None and not off.on_duty


# --- cases -------------------------------------------------------------------------


def _case(
    case_id: str,
    clock: FakeClock,
    *,
    risk: str = "none",
    since_minutes: int = 0,
    status: CaseStatus = CaseStatus.WAITING,
) -> Case:
    return Case(
        id=case_id,
        status=status,
        topic="mothers",
        mode="vent",
        opened_at=clock.now(),
        waiting_since=clock.now() + timedelta(minutes=since_minutes),
        risk=risk,
        night=True,
        record={"category": "x"},
    )


async def _save_case(store: Store, clock: FakeClock, user: str, case: Case) -> Conversation:
    conv = await store.load_conversation(user) or Conversation(
        user_id=user, flow="default", state="menu", ref="r-" + user[-6:]
    )
    conv.case = case
    assert await store.commit_turn(TurnCommit(conversation=conv, now=clock.now()))
    saved = await store.load_conversation(user)
    assert saved is not None
    return saved


async def test_case_round_trips_and_is_found_by_ref(store: Store, clock: FakeClock) -> None:
    case = _case("c1", clock, risk="concern")
    saved = await _save_case(store, clock, USER_A, case)
    assert saved.case == case and saved.ref == "r-aaaaaa"
    by_ref = await store.conversation_by_ref("r-aaaaaa")
    assert by_ref is not None and by_ref.user_id == USER_A and by_ref.case == case
    assert await store.conversation_by_ref("unknown") is None


async def test_queue_orders_by_risk_then_waiting_time(store: Store, clock: FakeClock) -> None:
    users = ["U" + c * 32 for c in "cdefg"]
    await _save_case(store, clock, users[0], _case("c0", clock, since_minutes=1))
    await _save_case(store, clock, users[1], _case("c1", clock, risk="high", since_minutes=5))
    await _save_case(store, clock, users[2], _case("c2", clock, since_minutes=0))
    await _save_case(store, clock, users[3], _case("c3", clock, risk="high", since_minutes=2))
    await _save_case(store, clock, users[4], _case("c4", clock, status=CaseStatus.ACTIVE))
    waiting = await store.list_cases(CaseStatus.WAITING)
    assert [c.case.id for c in waiting if c.case] == ["c3", "c1", "c2", "c0"]
    assert [c.case.id for c in await store.list_cases(CaseStatus.ACTIVE) if c.case] == ["c4"]
    # A risk raised later moves the case up at once.
    conv = waiting[-1]
    assert conv.case is not None
    conv.case.risk = "high"
    assert await store.commit_turn(TurnCommit(conversation=conv, now=clock.now()))
    again = await store.list_cases(CaseStatus.WAITING)
    assert [c.case.id for c in again if c.case] == ["c0", "c3", "c1", "c2"]


async def test_closed_cases_are_listed_and_archived(store: Store, clock: FakeClock) -> None:
    saved = await _save_case(store, clock, USER_A, _case("c1", clock))
    assert saved.case is not None
    closed = saved.case.copy()
    closed.status, closed.closed_at = CaseStatus.CLOSED, clock.now()
    closed.record = {"category": "子育て", "response_type": "傾聴", "note": "n"}
    saved.case = closed
    assert await store.commit_turn(
        TurnCommit(conversation=saved, now=clock.now(), archive=[closed])
    )
    clock.advance(60)
    other = _case("c2", clock, status=CaseStatus.CLOSED)
    other.closed_at = clock.now()
    conv_b = Conversation(user_id=USER_B, flow="default", state="menu", ref="rb", case=other)
    assert await store.commit_turn(
        TurnCommit(conversation=conv_b, now=clock.now(), archive=[other])
    )
    assert [c.case.id for c in await store.list_cases(CaseStatus.CLOSED) if c.case] == ["c2", "c1"]
    assert await store.list_cases(CaseStatus.WAITING) == []
    assert [c.id for c in await store.archived_cases()] == ["c2", "c1"]
    assert (await store.archived_cases())[1].record["response_type"] == "傾聴"


async def test_refused_turn_archives_nothing(store: Store, clock: FakeClock) -> None:
    saved = await _save_case(store, clock, USER_A, _case("c1", clock))
    stale = Conversation(
        user_id=USER_A, flow="default", state="menu", version=saved.version - 1, ref=saved.ref
    )
    closed = _case("c1", clock, status=CaseStatus.CLOSED)
    assert not await store.commit_turn(
        TurnCommit(conversation=stale, now=clock.now(), archive=[closed])
    )
    assert await store.archived_cases() == []


async def test_staff_sessions_expire_and_end(store: Store, clock: FakeClock) -> None:
    live = StaffSession("h1", "s1", "csrf1", clock.now(), clock.now() + timedelta(hours=12))
    await store.create_session(live)
    assert await store.get_session("h1", clock.now()) == live
    assert await store.get_session("unknown", clock.now()) is None
    clock.advance(hours=12)
    assert await store.get_session("h1", clock.now()) is None  # expired
    second = StaffSession("h2", "s1", "csrf2", clock.now(), clock.now() + timedelta(hours=1))
    await store.create_session(second)
    await store.delete_session("h2")
    assert await store.get_session("h2", clock.now()) is None


async def test_content_versions(store: Store, clock: FakeClock) -> None:
    v1 = await store.save_content_version(
        "flow", "default", "a: 1", "sha1", "file:states/default.yaml", clock.now()
    )
    v2 = await store.save_content_version(
        "flow", "default", "a: 2", "sha2", "admin:sato", clock.now()
    )
    await store.save_content_version("flow", "other", "b: 1", "sha3", "file", clock.now())
    assert (v1.version, v2.version) == (1, 2)
    active = await store.active_content("flow")
    assert [(c.name, c.version, c.body) for c in active] == [
        ("default", 2, "a: 2"),
        ("other", 1, "b: 1"),
    ]
    versions = await store.content_versions("flow", "default")
    assert [(c.version, c.active) for c in versions] == [(2, True), (1, False)]
    assert await store.active_content("faq") == []


async def test_audit_log(store: Store, clock: FakeClock) -> None:
    for i in range(3):
        await store.append_audit(
            AuditEntry(
                id=f"a{i}",
                at=clock.now(),
                actor="sato",
                action="conversation.read",
                target=f"相談者 {i}",
                detail={"i": i},
            )
        )
    entries = await store.audit_entries(limit=2)
    assert [e.id for e in entries] == ["a2", "a1"] and entries[0].detail == {"i": 2}


async def test_purge(store: Store, clock: FakeClock) -> None:
    await store.add_events([event("old", clock=clock), event("pending", ts=5, clock=clock)])
    log = [user_text(USER_A, "x", clock.now(), "old")]
    assert await commit(store, clock, fresh(), state="s", event_id="old", messages=log)
    clock.advance(days=10)
    counts = await store.purge(clock.now() - timedelta(days=5), clock.now() - timedelta(days=5))
    assert counts == {"messages": 1, "inbox": 1}
    assert await inspect(store).get_event("old") is None
    assert await inspect(store).get_event("pending") is not None  # never purge unprocessed events
    assert await store.conversation_messages(USER_A) == []


async def test_ping(store: Store) -> None:
    await store.ping()


async def test_staff_presence_is_recorded(store: Store, clock: FakeClock) -> None:
    member = StaffMember(
        id="s1",
        login="sato",
        display_name="佐藤",
        role="responder",
        password_hash="h",
        created_at=clock.now(),
    )
    await store.add_staff(member)
    assert (await store.staff_by_id("s1")).last_seen_at is None  # type: ignore[union-attr]
    clock.advance(90)
    await store.touch_staff("s1", clock.now())
    seen = await store.staff_by_id("s1")
    assert seen is not None and seen.last_seen_at == clock.now()
