"""The inbox worker: processes stored events, one user at a time, in timestamp order.

The webhook stores events and calls ``notify`` with their users; a short poll also
finds events nobody announced (left over by a crash, or stored by another process).
Per user, a lease in the store makes sure only one worker of one process drains that
user's events; different users are drained in parallel. A failing event is retried with
backoff and holds back the user's later events (order matters in a conversation); after
``max_attempts`` it is marked failed, the user gets an apology, and the queue moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import timedelta

import structlog

from yorisoi.clock import Clock
from yorisoi.store.ports import Store
from yorisoi.store.records import StoredEvent, StoreUnavailable
from yorisoi.turns.bot import EventProcessor

log = structlog.get_logger("yorisoi.inbox")


class InboxWorker:
    """Drains pending inbox events user by user."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        processor: EventProcessor,
        *,
        owner: str,
        lease_seconds: float = 60.0,
        poll_interval: float = 1.0,
        concurrency: int = 64,
        max_attempts: int = 5,
    ) -> None:
        self._store = store
        self._clock = clock
        self._processor = processor
        self._owner = owner
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_interval
        self._slots = asyncio.Semaphore(concurrency)
        self._max_attempts = max_attempts
        self._dirty: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was called (it can change during any await)."""
        return self._stopping

    def notify(self, user_ids: Iterable[str]) -> None:
        """Start draining these users (their new events were just stored)."""
        for user_id in user_ids:
            self._dirty.add(user_id)
            if user_id not in self._tasks and not self._stopping:
                self._tasks[user_id] = asyncio.create_task(self._drain(user_id))

    def poke(self) -> None:
        """Look for pending events now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Poll for pending events until stopped."""
        while not self._stopping:
            self._wake.clear()
            try:
                self.notify(await self._store.users_with_pending_events(limit=200))
            except StoreUnavailable as exc:
                log.error("inbox.store_unavailable", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the events in hand, start no new ones."""
        self._stopping = True
        tasks = list(self._tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until no user is being drained (for tests and orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _drain(self, user_id: str) -> None:
        try:
            async with self._slots:
                while user_id in self._dirty and not self._stopping:
                    self._dirty.discard(user_id)
                    await self._drain_leased(user_id)
        except Exception:
            log.exception("inbox.drain_crashed")
        finally:
            del self._tasks[user_id]

    async def _drain_leased(self, user_id: str) -> None:
        now = self._clock.now()
        if not await self._store.acquire_user_lease(user_id, self._owner, now, now + self._lease):
            return  # another worker is on it; the poll comes back if it dies
        lease_renew_at = now + self._lease / 2
        try:
            while not self._stopping:
                events = await self._store.pending_events(user_id, limit=20)
                if not events:
                    return
                for stored in events:
                    if stored.not_before is not None and stored.not_before > self._clock.now():
                        return  # backing off; later events of this user wait behind it
                    if not await self._process(stored):
                        return  # it will be retried; later events of this user wait behind it
                    now = self._clock.now()
                    if now >= lease_renew_at:
                        if not await self._store.acquire_user_lease(
                            user_id, self._owner, now, now + self._lease
                        ):
                            log.warning("inbox.lease_lost")
                            return  # we stalled past the lease; another worker has the user
                        lease_renew_at = now + self._lease / 2
                    if self.stopping:
                        return
        finally:
            await self._store.release_user_lease(user_id, self._owner)

    async def _process(self, stored: StoredEvent) -> bool:
        """Process one event; False if it failed and waits for a retry."""
        bound = log.bind(event_id=stored.event_id)
        try:
            await self._processor.process(stored)
            return True
        except StoreUnavailable:
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            bound.exception("inbox.event_failed", attempt=stored.attempts + 1)
            delay = timedelta(seconds=2**stored.attempts)
            attempts = await self._store.retry_event_later(
                stored.event_id, error, self._clock.now() + delay
            )
            if attempts >= self._max_attempts:
                bound.error("inbox.event_given_up", attempts=attempts)
                await self._processor.give_up(stored, error)
                return True
            return False
