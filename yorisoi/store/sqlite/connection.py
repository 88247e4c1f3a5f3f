"""The connections every role of the SQLite adapter shares: one writer, one reader.

The writer is used under ``BEGIN IMMEDIATE`` so that a transaction never interleaves with
another coroutine's; the reader, in WAL mode, sees only committed rows (the outbox sender
must never see a turn that may still roll back). Several processes may share the file:
``BEGIN IMMEDIATE`` plus ``busy_timeout`` serialises their writers and the version check on
conversations keeps every update (see tests/store/test_multiprocess.py).

``synchronous=FULL``: an event acknowledged to LINE survives a power cut, not only a
crash. Concurrent writes are committed together (group commit): each caller's work is a
plain function run inside its own SAVEPOINT, and a whole batch goes to the connection's
thread as one call through aiosqlite's ``Connection._execute`` — the primitive all of its
public methods use (pinned below 0.23 in pyproject.toml; the contract tests would catch
a change). Per-statement calls cost a thread hop each (~60 µs) and an fsync per
transaction; they capped the bot at about 220 events/s (bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar, cast

import aiosqlite

from yorisoi.store.records import StoreUnavailable
from yorisoi.store.sqlite.schema import SCHEMA, migrate

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


class SQLiteBase:
    """The two connections and the write queue; each role's class builds on this one."""

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._w = writer
        self._r = reader
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: str | Path) -> Self:
        """Open (and create if needed) the database file and its schema."""
        path = Path(path)
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            writer = await aiosqlite.connect(path, isolation_level=None)
            await _configure(writer)
            await writer.executescript(SCHEMA)
            await migrate(writer)
            reader = await aiosqlite.connect(path, isolation_level=None)
            await _configure(reader)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open SQLite database {path}: {exc}") from exc
        writer.row_factory = sqlite3.Row
        reader.row_factory = sqlite3.Row
        return cls(writer, reader)

    async def close(self) -> None:
        """Finish queued writes, then close both connections."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self._r.close()
        await self._w.close()

    async def ping(self) -> None:
        """Raise StoreUnavailable unless a trivial query answers."""
        await self._read("SELECT 1")

    async def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a write transaction, committed together with concurrent callers'.

        Each caller's work runs inside its own SAVEPOINT, so one failing caller rolls back
        only its own changes; the batch is one BEGIN ... COMMIT and one fsync, run in one
        call on the connection's thread.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((fn, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return cast(T, await asyncio.shield(future))

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                # aiosqlite runs every call on the connection's own thread; a whole batch
                # goes as one call (its per-statement API costs a thread hop per statement).
                # ``_execute`` is private and untyped; the module docstring says why we use it.
                outcomes: list[tuple[bool, Any]] = await self._w._execute(  # type: ignore[no-untyped-call]
                    _run_batch, self._w._conn, [fn for fn, _ in batch]
                )
            except BaseException as exc:
                # Never leave a caller waiting: whatever stopped the batch fails all of it.
                error = (
                    exc
                    if isinstance(exc, StoreUnavailable)
                    else StoreUnavailable(f"SQLite: {exc!r}")
                )
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                if isinstance(exc, asyncio.CancelledError):
                    for _, future in self._queue:
                        future.set_exception(error)
                    self._queue = []
                    raise
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def _read(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        try:
            return list(await self._r.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite: {exc}") from exc


async def _configure(db: aiosqlite.Connection) -> None:
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=FULL")
    await db.execute("PRAGMA busy_timeout=10000")


def _run_batch(db: sqlite3.Connection, work: list[Work]) -> list[tuple[bool, Any]]:
    """Run each piece of work in its own savepoint inside one transaction (DB thread)."""
    outcomes: list[tuple[bool, Any]] = []
    db.execute("BEGIN IMMEDIATE")
    try:
        for fn in work:
            db.execute("SAVEPOINT work")
            try:
                result = fn(db)
            except sqlite3.IntegrityError as exc:
                db.execute("ROLLBACK TO work")
                outcomes.append((False, exc))
            except sqlite3.Error as exc:
                db.execute("ROLLBACK TO work")
                outcomes.append((False, StoreUnavailable(f"SQLite: {exc}")))
            except Exception as exc:
                db.execute("ROLLBACK TO work")
                outcomes.append((False, exc))
            else:
                outcomes.append((True, result))
            db.execute("RELEASE work")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return outcomes
