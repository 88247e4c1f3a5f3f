"""Demo mode's chat page: a LINE-like web chat that drives the real webhook.

``setup`` is the entry point, called by ``create_app`` in demo mode only. It adds the routes
(``yorisoi.demo.routes``, which also explains the thread and long-poll design), the journal of
what demo users sent, and the HTTP client the page's events reach ``/callback`` through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from yorisoi.demo.journal import Journal
from yorisoi.demo.routes import HTTP, JOURNAL, WEBHOOK_TIMEOUT, add_routes

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    """Add the demo page, its API and the resources they use to ``app``."""
    app[JOURNAL] = Journal()
    app.cleanup_ctx.append(_http_ctx)
    app.on_shutdown.append(_end_long_polls)
    add_routes(app)


async def _http_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the client session the demo posts webhooks with; close it on cleanup."""
    timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        app[HTTP] = session
        yield


async def _end_long_polls(app: web.Application) -> None:
    """Answer every open long-poll now, so shutdown does not wait for them."""
    app[JOURNAL].closing.set()
