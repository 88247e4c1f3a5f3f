"""The case counts of the storage contract: true counts by status, topic and risk."""

from __future__ import annotations

from datetime import timedelta

from yorisoi.clock import FakeClock
from yorisoi.store.ports import Store
from yorisoi.store.queries import QueueCounts
from yorisoi.store.records import Case, CaseStatus, Conversation, TurnCommit


def user(n: int) -> str:
    return f"U{n:032x}"


async def save_case(
    store: Store,
    clock: FakeClock,
    n: int,
    *,
    topic: str = "general",
    risk: str = "none",
    status: CaseStatus = CaseStatus.WAITING,
) -> None:
    case = Case(
        id=f"c{n}",
        status=status,
        topic=topic,
        mode="handoff",
        opened_at=clock.now(),
        waiting_since=clock.now() + timedelta(seconds=n),
        risk=risk,
        closed_at=clock.now() if status == CaseStatus.CLOSED else None,
    )
    conv = Conversation(user_id=user(n), flow="default", state="menu", ref=f"r{n}", case=case)
    assert await store.commit_turn(TurnCommit(conversation=conv, now=clock.now()))


async def test_an_empty_store_counts_nothing(store: Store) -> None:
    assert await store.count_cases(CaseStatus.WAITING) == 0
    counts = await store.queue_counts()
    assert counts == QueueCounts() and counts.waiting == 0 and counts.active == 0


async def test_counts_are_true_beyond_any_list_limit(store: Store, clock: FakeClock) -> None:
    topics = ("youth", "mothers", "general")
    for n in range(150):
        status = CaseStatus.ACTIVE if n % 5 == 0 else CaseStatus.WAITING
        if n % 13 == 0:
            status = CaseStatus.CLOSED
        risk = "high" if n % 7 == 0 else "concern" if n % 3 == 0 else "none"
        await save_case(store, clock, n, topic=topics[n % 3], risk=risk, status=status)
    waiting = await store.list_cases(CaseStatus.WAITING, limit=1000)
    active = await store.list_cases(CaseStatus.ACTIVE, limit=1000)
    assert len(waiting) > 100  # more than the bot used to load to count them

    assert await store.count_cases(CaseStatus.WAITING) == len(waiting)
    assert await store.count_cases(CaseStatus.ACTIVE) == len(active)
    assert await store.count_cases(CaseStatus.CLOSED) == 12
    youth_or_general = frozenset({"youth", "general"})
    assert await store.count_cases(CaseStatus.WAITING, topics=youth_or_general) == sum(
        1 for c in waiting if c.case and c.case.topic in youth_or_general
    )
    assert await store.count_cases(CaseStatus.WAITING, topics=frozenset()) == 0

    counts = await store.queue_counts()
    assert (counts.waiting, counts.active) == (len(waiting), len(active))
    for status, listed in ((CaseStatus.WAITING, waiting), (CaseStatus.ACTIVE, active)):
        for topic in topics:
            expected = sum(1 for c in listed if c.case and c.case.topic == topic)
            assert counts.by_topic(status).get(topic, 0) == expected
        for risk in ("none", "concern", "high"):
            expected = sum(1 for c in listed if c.case and c.case.risk == risk)
            assert counts.by_risk(status).get(risk, 0) == expected
    high_youth = sum(
        1 for c in waiting if c.case and c.case.topic == "youth" and c.case.risk == "high"
    )
    assert counts.count(CaseStatus.WAITING, topic="youth", risk="high") == high_youth


async def test_counts_follow_a_case_through_its_life(store: Store, clock: FakeClock) -> None:
    await save_case(store, clock, 1, topic="youth")
    conv = await store.load_conversation(user(1))
    assert conv is not None and conv.case is not None
    assert (await store.queue_counts()).by_topic(CaseStatus.WAITING) == {"youth": 1}
    conv.case.status, conv.case.assigned_to, conv.case.risk = CaseStatus.ACTIVE, "s1", "high"
    assert await store.commit_turn(TurnCommit(conversation=conv, now=clock.now()))
    counts = await store.queue_counts()
    assert (counts.waiting, counts.active) == (0, 1)
    assert counts.by_risk(CaseStatus.ACTIVE) == {"high": 1}
    assert await store.count_cases(CaseStatus.ACTIVE, topics=frozenset({"youth"})) == 1
