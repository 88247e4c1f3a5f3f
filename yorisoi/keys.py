"""Typed application state: every shared object of the aiohttp app has one key here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from yorisoi.clock import Clock
from yorisoi.config import Settings

if TYPE_CHECKING:
    pass

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
STORE = web.AppKey("store", "Store")
CONTENT = web.AppKey("content", "ContentLibrary")
LINE = web.AppKey("line", "LineClient")
PROCESSOR = web.AppKey("processor", "EventProcessor")
WORKER = web.AppKey("worker", "InboxWorker | None")
SENDER = web.AppKey("sender", "OutboxSender")
SCHEDULER = web.AppKey("scheduler", "Scheduler")
STANDIN = web.AppKey("standin", "StandIn | None")
LINE_ENDPOINT = web.AppKey("line_endpoint", str)
CHANNEL_SECRET = web.AppKey("channel_secret", str)
CASES = web.AppKey("cases", "CaseDesk")
# Who hears that a case changed (the operator view's live hub adds itself here).
LISTENERS = web.AppKey("listeners", list)
DEMO_ACCOUNT = web.AppKey("demo_account", tuple)  # (login, password or None), demo mode only
