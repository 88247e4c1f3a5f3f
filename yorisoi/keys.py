"""Typed application state: every shared object of the aiohttp app has one key here.

The types are the real classes, for the type checker; they are imported only while type
checking, because most of these modules import this one (a runtime import would be a cycle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

    from yorisoi.cases.actions import StaffActions
    from yorisoi.cases.desk import CaseDesk
    from yorisoi.cases.jobs import CaseJobs
    from yorisoi.clock import Clock
    from yorisoi.config import Settings
    from yorisoi.content import ContentLibrary
    from yorisoi.inbox import InboxWorker
    from yorisoi.line.client import LineClient
    from yorisoi.line.outbox import OutboxSender
    from yorisoi.line.standin import StandIn
    from yorisoi.operators.notices import CaseNotices
    from yorisoi.schedule import Scheduler
    from yorisoi.store.ports import Store
    from yorisoi.turns.bot import EventProcessor
    from yorisoi.turns.effects import Effects
    from yorisoi.turns.unit import Changes

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SECRET_KEY: web.AppKey[str] = web.AppKey("secret_key")  # pseudonyms, activity cookies
STORE: web.AppKey[Store] = web.AppKey("store")
CONTENT: web.AppKey[ContentLibrary] = web.AppKey("content")
LINE: web.AppKey[LineClient] = web.AppKey("line")
LINE_ENDPOINT: web.AppKey[str] = web.AppKey("line_endpoint")
CHANNEL_SECRET: web.AppKey[str] = web.AppKey("channel_secret")
STANDIN: web.AppKey[StandIn | None] = web.AppKey("standin")
# The unit of work, its after-commit effects, and who is told of committed case changes.
EFFECTS: web.AppKey[Effects] = web.AppKey("effects")
CHANGES: web.AppKey[Changes] = web.AppKey("changes")
LISTENERS: web.AppKey[list[Callable[[dict[str, Any]], None]]] = web.AppKey("listeners")
NOTICES: web.AppKey[CaseNotices] = web.AppKey("notices")
CASES: web.AppKey[CaseDesk] = web.AppKey("cases")
STAFF_ACTIONS: web.AppKey[StaffActions] = web.AppKey("staff_actions")
CASE_JOBS: web.AppKey[CaseJobs] = web.AppKey("case_jobs")
PROCESSOR: web.AppKey[EventProcessor] = web.AppKey("processor")
WORKER: web.AppKey[InboxWorker | None] = web.AppKey("worker")
SENDER: web.AppKey[OutboxSender] = web.AppKey("sender")
SCHEDULER: web.AppKey[Scheduler] = web.AppKey("scheduler")
# Demo mode only: the demo account's login, and its password when it was just created.
DEMO_ACCOUNT: web.AppKey[tuple[str, str | None]] = web.AppKey("demo_account")
