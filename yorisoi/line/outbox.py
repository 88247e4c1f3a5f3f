"""The outbox sender: delivers committed outbox rows to LINE, once, in order, never dropping one.

Policy, row by row (each user's rows strictly in order; different users in parallel):

* Blocked users (unfollowed) are skipped and the row is marked ``skipped_blocked``.
* While the reply token is fresh (``YORISOI_REPLY_TOKEN_TTL`` after receipt) we reply:
  replies are free. Before calling we persist ``reply_attempted``: after a crash, a
  timeout or a 5xx we cannot know whether LINE used the token.
  - 200: sent.
  - "Invalid reply token": if an earlier attempt had no clear answer, that attempt used
    the token, so the row counts as delivered (``assumed_delivered`` in its history);
    otherwise the token expired unused: push.
  - 5xx or timeout (unclear), or connection refused, 429, 401 (certainly not sent): try
    the reply again shortly while the token is fresh. When it runs out, a certainly
    unsent row is pushed; an unclear one is marked ``uncertain`` for staff, because a
    push could deliver everything twice. A row reclaimed after a crash mid-reply with
    its token expired is marked ``uncertain`` for the same reason.
* Otherwise we push with the row's fixed ``X-Line-Retry-Key``:
  - 200, or 409 (this key was accepted before): sent.
  - 429 "monthly limit": ``waiting_quota``, retried hourly; visible in outbox counts.
  - 5xx, timeout, 429 rate limit, 401/403 (a fixable credential problem): retried with
    backoff up to five minutes. After 24 h the retry key expires at LINE and a retry could
    deliver twice, so the row is marked failed and logged for staff.
  - Other 4xx: failed (the request itself is wrong; repeating it cannot help).
* Every attempt is recorded in the row's delivery history.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from yorisoi.clock import Clock
from yorisoi.line.client import CallResult, LineClient
from yorisoi.store.ports import Store
from yorisoi.store.records import DeliveryAttempt, OutboxRow, OutboxStatus, StoreUnavailable

log = structlog.get_logger("yorisoi.outbox")

RETRY_KEY_LIFETIME = timedelta(hours=24)
QUOTA_RECHECK = timedelta(hours=1)
MAX_BACKOFF = 300.0
REPLY_RETRY = (1.0, 2.0, 4.0)
REPLY_MARGIN = timedelta(seconds=1)
# Outcomes after which LINE certainly did not act on the request.
CERTAINLY_NOT_SENT = frozenset({"unreachable", "rate_limited", "unauthorized"})


class OutboxSender:
    """Claims the head row of each user's outbox and delivers it."""

    def __init__(
        self,
        store: Store,
        client: LineClient,
        clock: Clock,
        *,
        owner: str,
        lease_seconds: float = 60.0,
        poll_interval: float = 1.0,
        concurrency: int = 64,
        on_status: Callable[[OutboxRow, str], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._on_status = on_status
        self._client = client
        self._clock = clock
        self._owner = owner
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_interval
        self._concurrency = concurrency
        self._inflight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._not_claiming = asyncio.Event()
        self._not_claiming.set()

    def wake(self) -> None:
        """Look at the outbox now (a turn was just committed)."""
        self._wake.set()

    async def _tell(self, row: OutboxRow, status: str) -> None:
        """Let the operator view know (a failure, a quota wait, a push that arrived)."""
        if self._on_status is None:
            return
        try:
            await self._on_status(row, status)
        except Exception:  # the view is a convenience; the delivery state is in the store
            log.exception("outbox.notify_failed", row=row.id)

    async def run(self) -> None:
        """Keep claiming due rows and delivering them, up to ``concurrency`` at once."""
        while not self._stopping:
            self._wake.clear()
            try:
                started = await self.start_due()
            except StoreUnavailable as exc:
                log.error("outbox.store_unavailable", error=str(exc))
                started = 0
            if started == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def start_due(self) -> int:
        """Claim rows due now (as many as there are free slots) and start delivering them."""
        free = self._concurrency - len(self._inflight)
        if free <= 0 or self._stopping:
            return 0
        now = self._clock.now()
        self._not_claiming.clear()
        try:
            rows = await self._store.claim_outbox_heads(now, self._owner, now + self._lease, free)
        finally:
            self._not_claiming.set()
        for row in rows:
            task = asyncio.create_task(self._guarded(row))
            self._inflight.add(task)
            task.add_done_callback(self._finished)
        return len(rows)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wake.set()  # a slot is free, and the user's next row may now be at the head

    async def run_once(self) -> int:
        """Start every row due now and wait for those deliveries; return how many there were."""
        started = await self.start_due()
        await self.idle()
        return started

    async def idle(self) -> None:
        """Wait until no delivery is in flight."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def stop(self, grace: float = 12.0) -> None:
        """Claim nothing more; let deliveries in flight finish, then cancel what is left.

        A claim that is under way completes and its rows are delivered, rather than left
        claimed by a process that is going away (they would wait for the lease to run out).
        """
        self._stopping = True
        self._wake.set()
        await self._not_claiming.wait()
        if self._inflight:
            _, pending = await asyncio.wait(list(self._inflight), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _guarded(self, row: OutboxRow) -> None:
        try:
            await self.deliver(row)
        except Exception:
            # The row stays claimed; its lease runs out and it is tried again.
            log.exception("outbox.deliver_crashed", row=row.id)

    async def deliver(self, row: OutboxRow) -> None:
        """Deliver one claimed row following the module's policy."""
        now = self._clock.now()
        if await self._store.is_blocked(row.user_id):
            await self._record(row, "none", CallResult("blocked"))
            await self._store.finish_outbox(row.id, OutboxStatus.SKIPPED_BLOCKED, now)
            return
        if row.reply_token is None or row.reply_until is None:
            await self._push(row)
            return
        if now >= row.reply_until:
            if row.reply_attempted:
                await self._uncertain(row)
            else:
                await self._push(row)
            return
        await self._reply(row, row.reply_token, row.reply_until)

    async def _reply(self, row: OutboxRow, token: str, until: datetime) -> None:
        # Persisted before the call: after a crash we must know a reply may have gone out.
        await self._store.set_reply_attempted(row.id, True)
        result = await self._client.reply(token, row.messages)
        await self._record(row, "reply", result)
        now = self._clock.now()
        if result.delivered:
            await self._store.finish_outbox(row.id, OutboxStatus.SENT, now, via="reply")
        elif result.kind == "invalid_reply_token" and row.reply_attempted:
            await self._record(
                row,
                "reply",
                CallResult(
                    "assumed_delivered",
                    detail=("an earlier reply attempt had no clear answer; it used the token"),
                ),
            )
            await self._store.finish_outbox(
                row.id,
                OutboxStatus.SENT,
                now,
                via="reply",
                error="assumed delivered by an earlier reply attempt",
            )
        elif result.kind == "invalid_reply_token":
            # Expired before we ever used it (or LINE shortened its life): push instead.
            await self._store.set_reply_attempted(row.id, False, drop_token=True)
            await self._push(row)
        elif result.kind == "rejected":
            await self._fail(row, result)
        else:
            certain = result.kind in CERTAINLY_NOT_SENT
            if certain:
                await self._store.set_reply_attempted(row.id, False)
            backoff = timedelta(seconds=REPLY_RETRY[min(row.attempts, len(REPLY_RETRY) - 1)])
            retry_at = min(now + backoff, until - REPLY_MARGIN)
            if retry_at > now:
                await self._store.reschedule_outbox(
                    row.id, OutboxStatus.PENDING, retry_at, _describe(result)
                )
            elif certain:
                await self._push(row)
            else:
                await self._uncertain(row)

    async def _uncertain(self, row: OutboxRow) -> None:
        """Stop: a reply may have reached the user and the token can no longer tell us.

        Pushing now could show the user everything twice, so the row is left for staff
        (``yorisoi status`` lists it) instead of being guessed either way.
        """
        detail = "a reply attempt had no clear answer and the reply token has expired"
        log.error("outbox.uncertain", row=row.id)
        await self._record(row, "reply", CallResult("uncertain", detail=detail))
        await self._store.finish_outbox(
            row.id, OutboxStatus.UNCERTAIN, self._clock.now(), via="reply", error=detail
        )
        await self._tell(row, "uncertain")

    async def _push(self, row: OutboxRow) -> None:
        result = await self._client.push(row.user_id, row.messages, row.retry_key)
        await self._record(row, "push", result)
        now = self._clock.now()
        if result.delivered:
            await self._store.finish_outbox(row.id, OutboxStatus.SENT, now, via="push")
            await self._tell(row, "sent")
        elif result.kind == "monthly_limit":
            log.warning("outbox.monthly_limit", row=row.id)
            await self._store.reschedule_outbox(
                row.id, OutboxStatus.WAITING_QUOTA, now + QUOTA_RECHECK, _describe(result)
            )
            await self._tell(row, "waiting_quota")
        elif result.kind == "rejected":
            await self._fail(row, result)
        elif now - row.created_at >= RETRY_KEY_LIFETIME:
            await self._fail(row, result, reason="undelivered for 24 h; the retry key has expired")
        else:
            if result.kind == "unauthorized":
                log.error("outbox.unauthorized", status=result.status, detail=result.detail)
            delay = min(2.0 ** (row.attempts + 1), MAX_BACKOFF)
            await self._store.reschedule_outbox(
                row.id, OutboxStatus.PENDING, now + timedelta(seconds=delay), _describe(result)
            )

    async def _fail(self, row: OutboxRow, result: CallResult, reason: str | None = None) -> None:
        error = reason or _describe(result)
        log.error("outbox.failed", row=row.id, error=error)
        await self._store.finish_outbox(row.id, OutboxStatus.FAILED, self._clock.now(), error=error)
        await self._tell(row, "failed")

    async def _record(self, row: OutboxRow, via: str, result: CallResult) -> None:
        await self._store.record_delivery(
            DeliveryAttempt(
                outbox_id=row.id,
                at=self._clock.now(),
                via=via,
                outcome=result.kind,
                status=result.status,
                detail=result.detail,
                request_id=result.request_id,
            )
        )


def _describe(result: CallResult) -> str:
    status = f"HTTP {result.status}" if result.status else result.kind
    return f"{status}: {result.detail}" if result.detail else status
