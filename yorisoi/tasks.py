"""Background tasks tied to the app's lifetime: started together, cancelled and awaited together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import structlog

log = structlog.get_logger("yorisoi.tasks")


@contextlib.asynccontextmanager
async def run_background(
    *runs: Coroutine[Any, Any, None],
) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run coroutines as tasks for the body of the ``async with``; cancel and await them after."""
    tasks = [asyncio.create_task(run) for run in runs]
    for task in tasks:
        task.add_done_callback(_report_crash)
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "background_task.crashed",
            task=getattr(task.get_coro(), "__qualname__", task.get_name()),
            error=repr(task.exception()),
        )
