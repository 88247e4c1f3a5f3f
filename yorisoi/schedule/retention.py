"""The retention purge: what the terms of use promise about keeping records, done daily."""

from __future__ import annotations

from datetime import timedelta

import structlog

from yorisoi.clock import Clock
from yorisoi.schedule import Handler
from yorisoi.store.ports import Store
from yorisoi.store.records import Job

log = structlog.get_logger("yorisoi.retention")

PURGE = "retention_purge"
PURGE_EVERY = timedelta(days=1)


def purge_handler(store: Store, clock: Clock, *, keep_days: int, inbox_days: int) -> Handler:
    """Return the job handler that deletes log entries and processed inbox events past their time."""

    async def purge(job: Job) -> None:
        now = clock.now()
        counts = await store.purge(
            now - timedelta(days=keep_days), now - timedelta(days=inbox_days)
        )
        log.info("retention.purged", **counts)

    return purge
