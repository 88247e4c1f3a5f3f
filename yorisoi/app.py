"""The app factory: builds the aiohttp application and wires every part, explicitly.

Each resource is opened and closed in its own ``cleanup_ctx`` step, in this order:
store → content (with its screening thread) → cases (the unit of work, its after-commit
effects, the case desk, staff actions and jobs) → (demo: the LINE stand-in) → LINE client →
background workers (outbox sender, scheduler, inbox worker).
Tests call ``create_app`` with a FakeClock and their own store; nothing is built at import.
"""

from __future__ import annotations

import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from aiohttp import ClientSession, ClientTimeout, web

from yorisoi import keys
from yorisoi.admin.staff import ensure_demo_account
from yorisoi.cases.actions import StaffActions
from yorisoi.cases.desk import CLAIM_TIMEOUT_JOB, MORNING_JOB, CaseDesk
from yorisoi.cases.errors import CaseError
from yorisoi.cases.jobs import CaseJobs
from yorisoi.clock import Clock, SystemClock
from yorisoi.config import Settings, ensure_secret_key
from yorisoi.content import ContentLibrary
from yorisoi.inbox import InboxWorker
from yorisoi.line import webhook
from yorisoi.line.client import LineClient
from yorisoi.line.outbox import OutboxSender
from yorisoi.operators import api as operator_api
from yorisoi.operators import view as operator_view
from yorisoi.operators.api.errors import case_error_response
from yorisoi.operators.notices import CaseNotices
from yorisoi.safety.alerts import RISK_ALERT, OnCall, make_alert_handler
from yorisoi.schedule import Scheduler
from yorisoi.schedule.retention import PURGE, PURGE_EVERY, purge_handler
from yorisoi.store import describe_url, open_store
from yorisoi.store.ports import Store
from yorisoi.store.records import StoreError, StoreUnavailable
from yorisoi.tasks import run_background
from yorisoi.turns.bot import APOLOGY_JOB, EventProcessor
from yorisoi.turns.effects import Committed, Effects
from yorisoi.turns.unit import Changes

log = structlog.get_logger("yorisoi.app")


@web.middleware
async def errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Map domain errors to HTTP answers in one place."""
    try:
        return await handler(request)
    except CaseError as exc:
        return case_error_response(exc)
    except StoreError as exc:
        log.error("store.error", path=request.path, error=type(exc).__name__)
        return web.json_response({"error": "storage unavailable, try again"}, status=503)


async def healthz(request: web.Request) -> web.Response:
    """Answer 200 when the store answers, 503 otherwise."""
    try:
        await request.app[keys.STORE].ping()
    except StoreUnavailable as exc:
        return web.json_response({"status": "unavailable", "store": str(exc)}, status=503)
    return web.json_response({"status": "ok"})


def _wake_workers(app: web.Application) -> Callable[[Committed], None]:
    """After a commit: the outbox sender looks at once, and the scheduler too when the turn
    booked a job (one may be due now, such as an on-call alert)."""

    def wake(committed: Committed) -> None:
        sender = app.get(keys.SENDER)
        if sender is not None:
            sender.wake()
        scheduler = app.get(keys.SCHEDULER)
        if committed.jobs and scheduler is not None:
            scheduler.wake()

    return wake


def _oncall(settings: Settings) -> OnCall:
    """Where alerts about risk to life go when nobody is on duty (see README)."""
    webhook = settings.oncall_webhook_url
    return OnCall(
        line_user_id=settings.oncall_user,
        webhook_url=webhook.get_secret_value() if webhook is not None else None,
        conversation_url=settings.base_url + "/operator/c/{ref}",
        timezone=settings.timezone,
    )


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
) -> web.Application:
    """Build the yorisoi web application (demo mode when no LINE credentials are set)."""
    settings = ensure_secret_key(settings)
    app = web.Application(middlewares=[errors], client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = clock or SystemClock()
    app[keys.SECRET_KEY] = settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    app[keys.STANDIN] = None
    app[keys.WORKER] = None
    app[keys.LISTENERS] = []
    # After-commit effects, in order: wake the workers, then tell the operator view.
    effects = Effects()
    effects.add("wake_workers", _wake_workers(app))
    app[keys.EFFECTS] = effects
    owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    if settings.demo:
        channel_secret = secrets.token_hex(16)
        access_token = secrets.token_urlsafe(24)
    else:
        assert settings.line_channel_secret and settings.line_channel_access_token
        channel_secret = settings.line_channel_secret.get_secret_value()
        access_token = settings.line_channel_access_token.get_secret_value()
    app[keys.CHANNEL_SECRET] = channel_secret
    app[keys.LINE_ENDPOINT] = settings.line_api_endpoint

    async def store_ctx(app: web.Application) -> AsyncIterator[None]:
        if store is not None:
            app[keys.STORE] = store
            yield
            return
        app[keys.STORE] = await open_store(settings.database_url)
        log.info("store.open", url=describe_url(settings.database_url))
        yield
        await app[keys.STORE].close()

    async def content_ctx(app: web.Application) -> AsyncIterator[None]:
        # One screening thread per app, shut down with it: the tokenizer and the embedding
        # model are not shared between threads, and nothing is left running after cleanup.
        screening = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yorisoi-screen")
        library = ContentLibrary(
            app[keys.STORE], app[keys.CLOCK], settings.content_dir, screening=screening
        )
        try:
            await library.reload()
        except BaseException:
            screening.shutdown(wait=False, cancel_futures=True)
            raise
        app[keys.CONTENT] = library
        yield
        screening.shutdown(wait=True, cancel_futures=True)

    async def cases_ctx(app: web.Application) -> AsyncIterator[None]:
        store, clock, library = app[keys.STORE], app[keys.CLOCK], app[keys.CONTENT]
        notices = CaseNotices(store, app[keys.LISTENERS])
        effects.add("operator_view", notices.committed)
        changes = Changes(store, clock, effects)
        desk = CaseDesk(
            store,
            library,
            secret_key=app[keys.SECRET_KEY],
            claim_timeout=timedelta(minutes=settings.claim_timeout_minutes),
            crisis_lines=lambda now: library.safety.round_the_clock_lines(now),
            oncall=_oncall(settings).configured,
        )
        app[keys.NOTICES], app[keys.CHANGES], app[keys.CASES] = notices, changes, desk
        app[keys.STAFF_ACTIONS] = StaffActions(store, changes, library)
        app[keys.CASE_JOBS] = CaseJobs(changes, library, desk)
        yield

    async def demo_account_ctx(app: web.Application) -> AsyncIterator[None]:
        app[keys.DEMO_ACCOUNT] = await ensure_demo_account(
            app[keys.STORE], settings.var_dir, app[keys.CLOCK].now()
        )
        yield

    async def standin_ctx(app: web.Application) -> AsyncIterator[None]:
        from yorisoi.line.standin import StandIn

        standin = StandIn(access_token=access_token, clock=app[keys.CLOCK])
        runner = web.AppRunner(standin.make_app(), handler_cancellation=True)
        await runner.setup()
        # Loopback only, on a free port the OS picks: the stand-in is not for other machines.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        app[keys.STANDIN] = standin
        app[keys.LINE_ENDPOINT] = f"http://127.0.0.1:{port}"
        yield
        await runner.cleanup()

    async def line_ctx(app: web.Application) -> AsyncIterator[None]:
        client = LineClient(app[keys.LINE_ENDPOINT], access_token, settings.line_timeout)
        app[keys.LINE] = client
        yield
        await client.close()

    async def workers_ctx(app: web.Application) -> AsyncIterator[None]:
        the_store, the_clock = app[keys.STORE], app[keys.CLOCK]
        # A claim must outlive the slowest LINE call, or a second delivery could start.
        lease = max(60.0, 3 * settings.line_timeout)
        sender = OutboxSender(
            the_store,
            app[keys.LINE],
            the_clock,
            owner=owner,
            lease_seconds=lease,
            on_status=app[keys.NOTICES].delivery_changed,
        )
        processor = EventProcessor(
            the_store,
            the_clock,
            app[keys.CONTENT],
            app[keys.CHANGES],
            reply_token_ttl=settings.reply_token_ttl,
            secret_key=app[keys.SECRET_KEY],
            desk=app[keys.CASES],
        )
        scheduler = Scheduler(
            the_store,
            the_clock,
            {
                PURGE: purge_handler(
                    the_store,
                    the_clock,
                    keep_days=settings.retention_days,
                    inbox_days=settings.inbox_retention_days,
                ),
                MORNING_JOB: app[keys.CASE_JOBS].morning_reply,
                CLAIM_TIMEOUT_JOB: app[keys.CASE_JOBS].claim_timeout,
                APOLOGY_JOB: processor.apology_job,
            },
            every={PURGE: PURGE_EVERY},
            owner=owner,
        )
        oncall = _oncall(settings)
        http = ClientSession(timeout=ClientTimeout(total=oncall.webhook_timeout))
        if oncall.configured:
            scheduler.add_handler(
                RISK_ALERT, make_alert_handler(oncall, http=http, line=app[keys.LINE])
            )
        await scheduler.ensure_recurring()
        app[keys.SENDER], app[keys.PROCESSOR], app[keys.SCHEDULER] = sender, processor, scheduler
        runs = [sender.run(), scheduler.run()]
        worker = None
        if settings.processing == "on":
            worker = InboxWorker(the_store, the_clock, processor, owner=owner)
            app[keys.WORKER] = worker
            runs.append(worker.run())
        else:
            log.warning("processing.paused", hint="events are stored, not processed")
        async with run_background(*runs):
            yield
            if worker is not None:
                await worker.stop()
            await sender.stop(grace=settings.line_timeout + 2)
        await http.close()

    app.cleanup_ctx.append(store_ctx)
    app.cleanup_ctx.append(content_ctx)
    app.cleanup_ctx.append(cases_ctx)
    if settings.demo:
        app.cleanup_ctx.append(demo_account_ctx)
        app.cleanup_ctx.append(standin_ctx)
    app.cleanup_ctx.append(line_ctx)
    app.cleanup_ctx.append(workers_ctx)

    webhook.setup(app, channel_secret)
    operator_api.setup(app)
    operator_view.setup(app)
    app.router.add_get("/healthz", healthz)
    if settings.demo:
        from yorisoi.demo import setup as setup_demo

        setup_demo(app)
    return app
