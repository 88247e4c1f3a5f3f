"""Durable timed jobs: claimed with a lease, run by kind, retried with backoff.

Jobs live in the store, so a restart or a second process picks up what is due.
Handlers are plain async functions registered by kind: the retention purge, the morning
reply and the claim timeout (``yorisoi.cases.jobs``), the on-call risk alert
(``yorisoi.safety.alerts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from yorisoi.clock import Clock
from yorisoi.store.ports import Store
from yorisoi.store.records import Job, JobStatus, StoreUnavailable

log = structlog.get_logger("yorisoi.schedule")

Handler = Callable[[Job], Awaitable[None]]
MAX_ATTEMPTS = 5


class Scheduler:
    """Runs due jobs until cancelled."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        handlers: dict[str, Handler],
        *,
        every: dict[str, timedelta] | None = None,
        owner: str,
        lease_seconds: float = 300.0,
        poll_interval: float = 30.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._handlers = handlers
        self._every = every or {}
        self._owner = owner
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_interval
        self._wake = asyncio.Event()
        self._quiet = asyncio.Event()  # set while no run_due is in progress
        self._quiet.set()
        self._runs = 0

    def add_handler(self, kind: str, handler: Handler) -> None:
        """Run jobs of ``kind`` with ``handler`` (before ``run`` starts)."""
        self._handlers[kind] = handler

    def wake(self) -> None:
        """Check for due jobs now."""
        self._wake.set()

    async def run(self) -> None:
        """Poll for due jobs and run them."""
        while True:
            self._wake.clear()
            try:
                await self.run_due()
            except StoreUnavailable as exc:
                log.error("schedule.store_unavailable", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def idle(self) -> None:
        """Wait until no job is being run (tests and orderly shutdown)."""
        await self._quiet.wait()

    async def run_due(self) -> int:
        """Run every job due now; return how many ran."""
        self._runs += 1
        self._quiet.clear()
        try:
            return await self._run_due()
        finally:
            self._runs -= 1
            if self._runs == 0:
                self._quiet.set()

    async def _run_due(self) -> int:
        now = self._clock.now()
        jobs = await self._store.claim_due_jobs(now, self._owner, now + self._lease)
        for job in jobs:
            handler = self._handlers.get(job.kind)
            if handler is None:
                await self._store.finish_job(
                    job.id, JobStatus.FAILED, f"no handler for {job.kind!r}"
                )
                log.error("schedule.unknown_kind", job=job.id, kind=job.kind)
                continue
            try:
                await handler(job)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("schedule.job_failed", job=job.id, kind=job.kind)
                if job.attempts >= MAX_ATTEMPTS:
                    await self._store.finish_job(job.id, JobStatus.FAILED, error)
                else:
                    retry_at = self._clock.now() + timedelta(minutes=2**job.attempts)
                    await self._store.retry_job(job.id, retry_at, error)
            else:
                await self._store.finish_job(job.id, JobStatus.DONE)
                if job.kind in self._every:
                    await self._store.schedule_job(
                        recurring_job(job.kind, self._clock.now() + self._every[job.kind])
                    )
        return len(jobs)

    async def ensure_recurring(self, first_in: timedelta = timedelta(minutes=5)) -> None:
        """Book each recurring job unless one is pending (idempotent across restarts)."""
        for kind in self._every:
            await self._store.schedule_job(recurring_job(kind, self._clock.now() + first_in))


def recurring_job(kind: str, due_at: datetime) -> Job:
    """Return the next instance of a recurring job; its key keeps one live at a time."""
    return Job(id=uuid.uuid4().hex, kind=kind, due_at=due_at, key=f"recurring:{kind}")
