"""Queue views at scale: the store's find_cases and counts on stores of three sizes.

Builds each store through the port (``commit_turn``, as the bot does), shaped like issue 20's
busy line: a tenth of the users have an open case (60 % waiting, 40 % with a responder,
across youth / mothers / general, about 6.5 % of them high risk), another fifth a closed one.
Then times, per size, each queue view's first page and a page deep in the view, the view's
total, and the counts the bot and ``yorisoi status`` need; and checks every count against a
direct count of the listed cases. Prints a table (milliseconds: median and p95 of --runs).

Usage: .venv/bin/python bench/scale_store.py [--sizes 10000,30000,100000] [--runs 30]
       [--database-url mongodb://...] (default: a fresh SQLite file per size)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from yorisoi.store import open_store
from yorisoi.store.ports import Store
from yorisoi.store.queries import CaseQuery
from yorisoi.store.records import Case, CaseStatus, Conversation, LoggedMessage, TurnCommit

TOPICS = ("youth", "mothers", "general")
STAFF = [f"staff-{i}" for i in range(12)]
START = datetime(2026, 1, 1, tzinfo=UTC)


def make_conversation(n: int, rng: random.Random) -> Conversation:
    """User ``n``: no case, an open one, or a closed one."""
    conv = Conversation(user_id=f"U{n:032x}", flow="default", state="menu", ref=uuid.uuid4().hex)
    roll = rng.random()
    if roll >= 0.3:
        return conv
    opened = START + timedelta(minutes=rng.randrange(525_600))
    status = CaseStatus.CLOSED
    if roll < 0.1:
        status = CaseStatus.WAITING if rng.random() < 0.6 else CaseStatus.ACTIVE
    assigned = rng.choice(STAFF) if status != CaseStatus.WAITING else None
    conv.case = Case(
        id=uuid.uuid4().hex,
        status=status,
        topic=rng.choice(TOPICS),
        mode="handoff",
        opened_at=opened,
        waiting_since=opened,
        risk="high" if rng.random() < 0.065 else rng.choice(("none", "none", "concern")),
        assigned_to=assigned,
        closed_at=opened + timedelta(hours=1) if status == CaseStatus.CLOSED else None,
    )
    return conv


MESSAGE_TEXTS = (
    "こんにちは",
    "夜泣きで全然寝てない",
    "話を聞いてくれてありがとう",
    "学校に行くのがつらい",
    "お金のことで相談したいです",
    "メッセージを受け取りました。",
)


def make_messages(conv: Conversation, count: int, rng: random.Random) -> list[LoggedMessage]:
    """Return ``count`` logged messages of a conversation, alternating the user and the bot."""
    first = START + timedelta(minutes=rng.randrange(525_600))
    return [
        LoggedMessage(
            id=uuid.uuid4().hex,
            user_id=conv.user_id,
            direction="in" if i % 2 == 0 else "out",
            kind="text",
            text=rng.choice(MESSAGE_TEXTS),
            at=first + timedelta(minutes=i),
            line_message_id=str(10**17 + rng.randrange(10**17)) if i % 2 == 0 else None,
        )
        for i in range(count)
    ]


async def fill(store: Store, users: int, seed: int = 7, messages_per_user: int = 0) -> float:
    """Commit one turn per user, 500 at a time; return the seconds it took.

    With ``messages_per_user``, each turn also logs that many messages (the conversation
    log staff read); they come from their own random stream, so the cases are the same.
    """
    rng = random.Random(seed)
    text_rng = random.Random(seed + 1)
    began = time.perf_counter()
    for first in range(0, users, 500):
        batch = [make_conversation(n, rng) for n in range(first, min(users, first + 500))]
        now = datetime.now(UTC)
        saved = await asyncio.gather(
            *(
                store.commit_turn(
                    TurnCommit(
                        conversation=c,
                        now=now,
                        messages=make_messages(c, messages_per_user, text_rng),
                    )
                )
                for c in batch
            )
        )
        assert all(saved)
    return time.perf_counter() - began


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float]:
    """Return the median and p95 of ``fn`` in milliseconds."""
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


async def deep_cursor(store: Store, query: CaseQuery, pages: int) -> str | None:
    """Return the cursor ``pages`` pages into a view."""
    after = None
    for _ in range(pages):
        page = await store.find_cases(query, after=after, limit=50)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return after


async def check_counts(store: Store) -> None:
    """Fail unless every count agrees with the cases a full walk of each view lists."""
    counts = await store.queue_counts()
    for status in (CaseStatus.WAITING, CaseStatus.ACTIVE, CaseStatus.CLOSED):
        listed, after = [], None
        while True:
            page = await store.find_cases(CaseQuery(status=status), after=after, limit=500)
            listed.extend(page.items)
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert page.total == len(listed) == await store.count_cases(status), status
        if status != CaseStatus.CLOSED:
            assert counts.count(status) == len(listed), status
            for topic in TOPICS:
                mine = sum(1 for c in listed if c.case and c.case.topic == topic)
                assert counts.by_topic(status).get(topic, 0) == mine, (status, topic)


async def measure(store: Store, runs: int) -> dict[str, tuple[float, float]]:
    """Time each view and count on a filled store."""
    youth = CaseQuery(
        status=CaseStatus.WAITING, viewer_id=STAFF[0], viewer_topics=frozenset({"youth"})
    )
    views = {
        "waiting, first page": CaseQuery(status=CaseStatus.WAITING),
        "waiting, youth responder": youth,
        "active": CaseQuery(status=CaseStatus.ACTIVE),
        "mine": CaseQuery(status=None, viewer_id=STAFF[0], assigned_to=STAFF[0]),
        "closed, first page": CaseQuery(status=CaseStatus.CLOSED),
    }
    results: dict[str, tuple[float, float]] = {}
    for name, query in views.items():
        results[name] = await timed(lambda q=query: store.find_cases(q, limit=50), runs)
    deep = await deep_cursor(store, youth, 20)
    results["waiting youth, page 21"] = await timed(
        lambda: store.find_cases(youth, after=deep, limit=50), runs
    )
    results["count_cases(waiting)"] = await timed(
        lambda: store.count_cases(CaseStatus.WAITING), runs
    )
    results["queue_counts()"] = await timed(store.queue_counts, runs)
    return results


async def run_size(users: int, runs: int, url: str | None, workdir: Path) -> dict[str, Any]:
    store = await open_store(url or f"sqlite:///{workdir / f'scale-{users}.sqlite3'}")
    try:
        fill_s = await fill(store, users)
        counts = await store.queue_counts()
        await check_counts(store)
        return {
            "users": users,
            "fill_s": fill_s,
            "waiting": counts.waiting,
            "active": counts.active,
            "closed": await store.count_cases(CaseStatus.CLOSED),
            "timings": await measure(store, runs),
        }
    finally:
        await store.close()


def table(results: list[dict[str, Any]]) -> str:
    head = "| ms (median / p95) | " + " | ".join(f"{r['users']:,} users" for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]
    lines.append(
        "| open cases (waiting / active), closed | "
        + " | ".join(f"{r['waiting']:,} / {r['active']:,}, {r['closed']:,}" for r in results)
        + " |"
    )
    for name in results[0]["timings"]:
        cells = [f"{r['timings'][name][0]:.2f} / {r['timings'][name][1]:.2f}" for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        "| fill through commit_turn (s) | "
        + " | ".join(f"{r['fill_s']:.1f}" for r in results)
        + " |"
    )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", help="a MongoDB URL (a database per size is filled)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for users in (int(s) for s in args.sizes.split(",")):
            url = None
            if args.database_url:
                url = f"{args.database_url.rstrip('/')}/yorisoi_scale_{users}"
            results.append(await run_size(users, args.runs, url, Path(tmp)))
            print(f"{users:,} users done (counts checked)", flush=True)
    print(table(results))


if __name__ == "__main__":
    asyncio.run(main())
