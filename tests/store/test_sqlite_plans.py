"""The SQLite queue views read in index order: no sort of the whole view, no full scan.

Issue 20 measured the closed view sorting every closed conversation ("USE TEMP B-TREE FOR
ORDER BY"); these plans keep each hot view an index search that stops after a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from yorisoi.store.queries import CaseQuery
from yorisoi.store.records import CaseStatus
from yorisoi.store.shaping import ClosedKey, OpenKey, encode_cursor
from yorisoi.store.sqlite import SQLiteStore

VIEWS = {
    "waiting queue": CaseQuery(status=CaseStatus.WAITING),
    "waiting queue of a youth responder": CaseQuery(
        status=CaseStatus.WAITING, viewer_id="s1", viewer_topics=frozenset({"youth"})
    ),
    "active": CaseQuery(status=CaseStatus.ACTIVE, viewer_id="s1", viewer_topics=frozenset()),
    "mine": CaseQuery(status=None, viewer_id="s1", assigned_to="s1"),
    "closed": CaseQuery(status=CaseStatus.CLOSED),
    "closed of a youth responder": CaseQuery(
        status=CaseStatus.CLOSED, viewer_id="s1", viewer_topics=frozenset({"youth"})
    ),
}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await SQLiteStore.open(tmp_path / "plans.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


class PlanRecorder:
    """Records the query plan of every SELECT on conversations the store reads."""

    def __init__(self, store: SQLiteStore) -> None:
        self.plans: list[tuple[str, list[str]]] = []
        self._store = store
        self._read = store._read

    async def __call__(self, sql: str, params: Any = ()) -> Any:
        if sql.startswith("SELECT") and "FROM conversations" in sql:
            rows = await self._read(f"EXPLAIN QUERY PLAN {sql}", params)
            self.plans.append((sql, [row["detail"] for row in rows]))
        return await self._read(sql, params)


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("page", ["first", "next"])
async def test_hot_views_search_an_index_in_order(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch, view: str, page: str
) -> None:
    recorder = PlanRecorder(store)
    monkeypatch.setattr(store, "_read", recorder)
    query = VIEWS[view]
    after = None
    if page == "next":
        key = (
            ClosedKey(1_800_000_000_000, "U1")
            if query.status == CaseStatus.CLOSED
            else OpenKey(2, 1_800_000_000_000, "U1")
        )
        after = encode_cursor(key)
    await store.find_cases(query, after=after, limit=50)
    assert len(recorder.plans) == 2  # the count and the page
    for sql, plan in recorder.plans:
        text = " / ".join(plan)
        assert "TEMP B-TREE" not in text, (sql, text)
        assert any(step.startswith("SEARCH conversations USING") for step in plan), (sql, text)
        assert not any(step.startswith("SCAN conversations") for step in plan), (sql, text)


async def test_counts_read_the_counts_index_only(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = PlanRecorder(store)
    monkeypatch.setattr(store, "_read", recorder)
    await store.queue_counts()
    await store.count_cases(CaseStatus.WAITING, topics=frozenset({"youth", "general"}))
    for sql, plan in recorder.plans:
        text = " / ".join(plan)
        assert "COVERING INDEX" in text and "TEMP B-TREE" not in text, (sql, text)
