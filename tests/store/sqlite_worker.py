"""A separate OS process for tests/store/test_multiprocess.py: commit turns against one file.

Usage: python sqlite_worker.py DB_PATH WORKER_NUMBER TURNS; prints the number of lost
version races it retried.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from yorisoi.clock import SystemClock
from yorisoi.domain.data import ConversationData
from yorisoi.store.records import Conversation, OutboxRow, TurnCommit
from yorisoi.store.sqlite import SQLiteStore

USERS = ["U" + f"{n:032x}" for n in range(3)]


async def advance_many(path: str, worker: int, turns: int) -> int:
    """Commit TURNS turns, each adding one to a counter, retrying lost version races."""
    store = await SQLiteStore.open(Path(path))
    clock = SystemClock()
    conflicts = 0
    try:
        for turn in range(turns):
            user_id = USERS[turn % len(USERS)]
            while True:
                conv = await store.load_conversation(user_id) or Conversation(
                    user_id, "default", "new"
                )
                now = clock.now()
                new = Conversation(
                    user_id=user_id,
                    flow="default",
                    state="menu",
                    version=conv.version,
                    data=ConversationData.from_dict(
                        {
                            **conv.data.to_dict(),
                            "n": conv.data.extra.get("n", 0) + 1,
                            f"w{worker}": conv.data.extra.get(f"w{worker}", 0) + 1,
                        }
                    ),
                    applied_events=conv.applied_events,
                )
                row = OutboxRow(
                    id=uuid.uuid4().hex,
                    user_id=user_id,
                    version=conv.version + 1,
                    index=0,
                    messages=[{"type": "text", "text": f"{worker}:{turn}"}],
                    retry_key=str(uuid.uuid4()),
                    created_at=now,
                    next_attempt_at=now + timedelta(days=1),
                )
                if await store.commit_turn(TurnCommit(conversation=new, now=now, outbox=[row])):
                    break
                conflicts += 1
    finally:
        await store.close()
    return conflicts


if __name__ == "__main__":
    print(asyncio.run(advance_many(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
