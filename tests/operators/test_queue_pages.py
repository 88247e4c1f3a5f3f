"""The queue at scale, through the API: every case reachable by paging, true totals and counts.

The store holds more open cases than any page, across topics; a responder limited to one
topic must reach every case they may see (their topic's, and any assigned to them) and no
other, and every total must match a direct count.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BotFactory
from harness import CASE_TOPICS as TOPICS
from harness import Bot, Staff, seed_open_cases, sign_in_staff

from yorisoi import keys
from yorisoi.store.records import CaseStatus


@pytest.fixture
async def bot(make_bot: BotFactory) -> Bot:
    # The test client speaks plain HTTP, which never carries a Secure cookie back.
    return await make_bot(secure_cookies=False)


async def walk(staff: Staff, view: str, limit: int) -> tuple[list[dict[str, Any]], set[int]]:
    """Page through a view; return every case seen and every total reported."""
    seen: list[dict[str, Any]] = []
    totals: set[int] = set()
    after = ""
    while True:
        code, body = await staff.get(f"/api/conversations?status={view}&limit={limit}{after}")
        assert code == 200, body
        seen += body["conversations"]
        totals.add(body["total"])
        if body["next_cursor"] is None:
            return seen, totals
        assert len(body["conversations"]) == limit
        after = f"&after={body['next_cursor']}"


async def test_a_topic_limited_responder_reaches_every_case_of_theirs_by_paging(bot: Bot) -> None:
    aoi = await sign_in_staff(bot, "aoi", topics=["youth"])
    lead = await sign_in_staff(bot, "lead", "supervisor")
    member = await bot.app[keys.STORE].staff_by_login("aoi")
    assert member is not None
    cases = await seed_open_cases(bot, 130, (member.id, "aoi"))

    def expected(status: CaseStatus, mine_only: bool = False) -> set[str]:
        return {
            c.ref
            for c in cases
            if c.case is not None
            and c.case.status is status
            and (c.case.assigned_to == member.id or (not mine_only and c.case.topic == "youth"))
        }

    for view, status in (("waiting", CaseStatus.WAITING), ("active", CaseStatus.ACTIVE)):
        seen, totals = await walk(aoi, view, 7)
        refs = [c["id"] for c in seen]
        assert len(refs) == len(set(refs)), "a case shown twice"
        assert set(refs) == expected(status), view
        assert totals == {len(expected(status))}
    mine, totals = await walk(aoi, "mine", 7)
    assert {c["id"] for c in mine} == expected(CaseStatus.ACTIVE, mine_only=True)
    assert totals == {26}
    # Open cases come by risk, then by how long they have waited.
    waiting, _ = await walk(aoi, "waiting", 7)
    order = [({"high": 0, "concern": 1, "none": 2}[c["risk"]], c["waiting_since"]) for c in waiting]
    assert order == sorted(order)

    everything, totals = await walk(lead, "open", 9)
    assert {c["id"] for c in everything} == {c.ref for c in cases}
    assert totals == {130}


async def test_counts_are_true_for_the_supervisor_and_the_bot(bot: Bot) -> None:
    lead = await sign_in_staff(bot, "lead", "supervisor")
    member = await bot.app[keys.STORE].staff_by_login("lead")
    assert member is not None
    cases = await seed_open_cases(bot, 120, (member.id, "lead"))
    code, counts = await lead.get("/api/queue/counts")
    assert code == 200, counts
    waiting = [c.case for c in cases if c.case is not None and c.case.status is CaseStatus.WAITING]
    assert counts["waiting"]["total"] == len(waiting) == 96
    assert counts["active"]["total"] == 24
    for topic in TOPICS:
        assert counts["waiting"]["by_topic"].get(topic, 0) == sum(
            1 for c in waiting if c.topic == topic
        )
    assert counts["waiting"]["by_risk"].get("high", 0) == sum(
        1 for c in waiting if c.risk == "high"
    )
    context = await bot.app[keys.CASES].context(bot.clock.now(), needs_queue=True)
    assert context.open_now  # the test clock starts inside service hours
    assert context.placeholders["waiting_count"] == "96"  # counted, not capped at a page


async def test_a_bad_cursor_or_page_size_is_a_clear_400(bot: Bot) -> None:
    aoi = await sign_in_staff(bot, "aoi")
    code, body = await aoi.get("/api/conversations?status=waiting&after=not-a-cursor")
    assert code == 400 and body["error"] == "bad_cursor"
    code, body = await aoi.get("/api/conversations?status=waiting&limit=0")
    assert code == 400 and body["error"] == "bad_limit"
    code, body = await aoi.get("/api/queue/counts")
    assert code == 403
