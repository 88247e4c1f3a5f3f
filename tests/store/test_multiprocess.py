"""Several OS processes advancing the same conversations in one SQLite file: no lost update."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from yorisoi.store.sqlite import SQLiteStore

PROCESSES = 4
TURNS = 300
USERS = ["U" + f"{n:032x}" for n in range(3)]
WORKER = Path(__file__).with_name("sqlite_worker.py")


async def test_processes_never_lose_an_update(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    await (await SQLiteStore.open(Path(path))).close()  # create the schema once
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), path, str(w), str(TURNS), stdout=asyncio.subprocess.PIPE
        )
        for w in range(PROCESSES)
    ]
    conflicts = 0
    for proc in workers:
        out, _ = await proc.communicate()
        assert proc.returncode == 0
        conflicts += int(out)
    store = await SQLiteStore.open(Path(path))
    try:
        total = 0
        for user_id in USERS:
            conv = await store.load_conversation(user_id)
            assert conv is not None
            assert conv.version == conv.data.extra["n"]
            rows = await store.outbox_rows(user_id)
            # one outbox row per committed turn, versions 1..n without a gap or a double
            assert [r.version for r in rows] == list(range(1, conv.version + 1))
            total += conv.data.extra["n"]
        assert total == PROCESSES * TURNS
    finally:
        await store.close()
    print(f"{conflicts} version races retried")
