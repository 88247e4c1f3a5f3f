"""Queue views at scale: every case reachable by the people who may see it, by paging.

Part of the storage contract (runs on every adapter): ``find_cases`` applies the
visibility rule in the query, pages by keyset, and counts the whole view.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from yorisoi.clock import FakeClock
from yorisoi.store.ports import Store
from yorisoi.store.queries import CasePage, CaseQuery, InvalidCursor
from yorisoi.store.records import Case, CaseStatus, Conversation, TurnCommit, risk_rank

TOPICS = ("youth", "mothers", "general")
RESPONDER = "s-youth"
OTHER = "s-other"


def user(n: int) -> str:
    return f"U{n:032x}"


def make_case(n: int, clock: FakeClock) -> Case:
    """Case ``n`` of a busy line: spread over topics, statuses, risks and assignees."""
    status = (CaseStatus.WAITING, CaseStatus.WAITING, CaseStatus.ACTIVE, CaseStatus.CLOSED)[n % 4]
    assigned = None
    if status != CaseStatus.WAITING or n % 7 == 0:
        assigned = RESPONDER if n % 5 == 0 else OTHER
    return Case(
        id=f"c{n}",
        status=status,
        topic=TOPICS[n % 3],
        mode="handoff",
        opened_at=clock.now(),
        # Some cases share their waiting time and closing time: ties must page right too.
        waiting_since=clock.now() + timedelta(seconds=n // 2),
        closed_at=clock.now() + timedelta(seconds=n // 3) if status == CaseStatus.CLOSED else None,
        risk=("none", "concern", "high", "none", "none")[n % 5],
        assigned_to=assigned,
    )


async def fill(store: Store, clock: FakeClock, count: int) -> list[Case]:
    cases = [make_case(n, clock) for n in range(count)]
    for n, case in enumerate(cases):
        conv = Conversation(user_id=user(n), flow="default", state="menu", ref=f"r{n}", case=case)
        assert await store.commit_turn(TurnCommit(conversation=conv, now=clock.now()))
    return cases


async def read_all(store: Store, query: CaseQuery, limit: int) -> tuple[list[Conversation], int]:
    """Page through a view; return every conversation seen and the total each page gave."""
    seen: list[Conversation] = []
    totals: set[int] = set()
    after: str | None = None
    for _ in range(1000):
        page: CasePage = await store.find_cases(query, after=after, limit=limit)
        assert len(page.items) <= limit
        seen.extend(page.items)
        totals.add(page.total)
        if page.next_cursor is None:
            break
        assert len(page.items) == limit
        after = page.next_cursor
    assert len(totals) == 1
    return seen, totals.pop()


def may_see(case: Case, viewer: str | None, topics: frozenset[str] | None) -> bool:
    """The visibility rule, written out plainly for the test."""
    return not topics or case.topic in topics or case.assigned_to == viewer


def open_order(case: Case, user_id: str) -> tuple[int, float, str]:
    return (-risk_rank(case.risk), case.waiting_since.timestamp(), user_id)


@pytest.mark.parametrize(
    ("status", "viewer_topics", "assigned_to"),
    [
        (CaseStatus.WAITING, frozenset({"youth"}), None),
        (CaseStatus.ACTIVE, frozenset({"youth"}), None),
        (CaseStatus.CLOSED, frozenset({"youth", "mothers"}), None),
        (None, frozenset({"youth"}), RESPONDER),  # "mine"
        (CaseStatus.WAITING, None, None),  # a supervisor
        (CaseStatus.WAITING, frozenset(), None),  # a responder of every topic
    ],
)
async def test_a_viewer_reaches_every_case_they_may_see_and_no_other(
    store: Store,
    clock: FakeClock,
    status: CaseStatus | None,
    viewer_topics: frozenset[str] | None,
    assigned_to: str | None,
) -> None:
    cases = await fill(store, clock, 300)
    query = CaseQuery(
        status=status, viewer_id=RESPONDER, viewer_topics=viewer_topics, assigned_to=assigned_to
    )
    seen, total = await read_all(store, query, limit=7)
    expected = {
        user(n): case
        for n, case in enumerate(cases)
        if (case.status == status if status else case.is_open)
        and may_see(case, RESPONDER, viewer_topics)
        and (assigned_to is None or case.assigned_to == assigned_to)
    }
    assert len(expected) > 7 * 2  # several pages
    ids = [c.user_id for c in seen]
    assert len(ids) == len(set(ids))  # no case twice
    assert set(ids) == set(expected)  # every case, and no other
    assert total == len(expected)
    if status == CaseStatus.CLOSED:
        closed = [c.case.closed_at for c in seen if c.case and c.case.closed_at]
        assert closed == sorted(closed, reverse=True)
    else:
        keys = [open_order(c.case, c.user_id) for c in seen if c.case]
        assert keys == sorted(keys)
    if viewer_topics == frozenset({"youth"}):
        # Cases of other topics assigned to the responder are theirs to see, too.
        assert any(case.topic != "youth" for case in expected.values())


async def test_filters_narrow_a_view_and_its_total(store: Store, clock: FakeClock) -> None:
    cases = await fill(store, clock, 120)
    query = CaseQuery(status=CaseStatus.WAITING, risk="high", topic="mothers")
    seen, total = await read_all(store, query, limit=5)
    expected = {
        user(n)
        for n, c in enumerate(cases)
        if c.status == CaseStatus.WAITING and c.risk == "high" and c.topic == "mothers"
    }
    assert {c.user_id for c in seen} == expected and total == len(expected)
    assert total == len(seen) > 0


async def test_cases_added_while_paging_never_shift_a_page(store: Store, clock: FakeClock) -> None:
    await fill(store, clock, 60)
    query = CaseQuery(status=CaseStatus.WAITING)
    first = await store.find_cases(query, limit=10)
    assert first.next_cursor is not None
    # A new high-risk case goes to the top of the queue: before the cursor, not after it.
    urgent = make_case(1000, clock)
    urgent.status, urgent.risk, urgent.assigned_to = CaseStatus.WAITING, "high", None
    urgent.waiting_since = clock.now() - timedelta(minutes=1)
    conv = Conversation(user_id=user(1000), flow="default", state="menu", ref="r1000", case=urgent)
    assert await store.commit_turn(TurnCommit(conversation=conv, now=clock.now()))
    second = await store.find_cases(query, after=first.next_cursor, limit=10)
    assert not {c.user_id for c in first.items} & {c.user_id for c in second.items}
    assert user(1000) not in {c.user_id for c in second.items}
    assert second.total == first.total + 1
    again = await store.find_cases(query, limit=1)
    assert again.items[0].user_id == user(1000)


async def test_an_empty_view_and_a_foreign_cursor(store: Store, clock: FakeClock) -> None:
    page = await store.find_cases(CaseQuery(status=CaseStatus.ACTIVE))
    assert page == CasePage([], None, 0)
    await fill(store, clock, 40)
    closed = await store.find_cases(CaseQuery(status=CaseStatus.CLOSED), limit=2)
    assert closed.next_cursor is not None
    with pytest.raises(InvalidCursor):
        await store.find_cases(CaseQuery(status=CaseStatus.WAITING), after=closed.next_cursor)
    with pytest.raises(InvalidCursor):
        await store.find_cases(CaseQuery(status=CaseStatus.WAITING), after="not-a-cursor")
