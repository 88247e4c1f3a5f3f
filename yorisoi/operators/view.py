"""The operator view: the pages responders and supervisors work in, under ``/operator``.

``setup(app)`` is the entry point, called by ``create_app``. It adds

- ``GET /operator/login``        sign-in (the page posts to ``/api/login``)
- ``GET /operator``              the queue and the open conversation (``/operator/c/{id}`` opens one)
- ``GET /operator/supervisor``   everyone's active cases: take over, reassign (supervisor, admin)
- ``GET /operator/static/...``   the hand-written script and style sheet (no build step)
- ``GET /api/canned``, ``GET /api/records``  canned replies and close-form choices (the catalog)
- ``GET /api/live``              the live-update websocket (``yorisoi.operators.hub``)

The pages are server-rendered shells (Jinja2, autoescaped); the script fills them from the JSON
API and renders every piece of user text through ``textContent``, never as HTML. A strict
Content-Security-Policy (no inline script or style, nothing from elsewhere) makes a slip there
harmless. The page carries the session's CSRF token in a ``<meta>`` tag for the script's writes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from yorisoi import keys
from yorisoi.domain.people import at_least
from yorisoi.operators import hub
from yorisoi.operators.auth import (
    IDLE,
    idle_limit,
    mark_activity,
    requires,
    signed_in,
)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

TEMPLATES = web.AppKey("operator_templates", jinja2.Environment)

# No inline script or style anywhere; the websocket is same-origin ('self' covers ws: and wss:
# of this host in CSP Level 3, which Chromium, Firefox and Safari implement).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

TOPIC_LABELS = {"youth": "若者", "mothers": "ママ", "general": "一般"}
ROLE_LABELS = {"responder": "相談員", "supervisor": "スーパーバイザー", "admin": "管理者"}


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Give every operator-view response the strict headers."""
    if request.path == "/operator" or request.path.startswith("/operator/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/operator/static/"):
            # Pages carry the CSRF token: never keep them in a cache.
            response.headers["Cache-Control"] = "no-store"


async def _page(
    request: web.Request, template: str, minimum: str = "responder"
) -> web.StreamResponse:
    """Render one signed-in page, or send the visitor to sign in."""
    found = await signed_in(request)
    if isinstance(found, str):
        target = "/operator/login" + ("?idle=1" if found == "idle" else "")
        raise web.HTTPSeeOther(target)
    session, member = found
    if not at_least(member.role, minimum):
        response = aiohttp_jinja2.render_template(
            "forbidden.html",
            request,
            {"staff": member, "role_labels": ROLE_LABELS},
            app_key=TEMPLATES,
            status=403,
        )
        return response
    context: dict[str, Any] = {
        "staff": member,
        "csrf_token": session.csrf_token,
        "idle_seconds": int(idle_limit(request.app).total_seconds()),
        "server_now": request.app[keys.CLOCK].now().isoformat(),
        "open_id": request.match_info.get("ref", ""),
        "is_lead": member.role in ("supervisor", "admin"),
        "role_labels": ROLE_LABELS,
        "demo": request.app[keys.SETTINGS].demo,
    }
    response = aiohttp_jinja2.render_template(template, request, context, app_key=TEMPLATES)
    mark_activity(request, response, session.token_hash)
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    """Serve the sign-in page (or go to the queue when already signed in)."""
    found = await signed_in(request)
    if not isinstance(found, str):
        raise web.HTTPSeeOther("/operator")
    context = {
        "idle": request.query.get("idle") == "1" or found == "idle",
        "demo": request.app[keys.SETTINGS].demo,
    }
    return aiohttp_jinja2.render_template("login.html", request, context, app_key=TEMPLATES)


async def queue_page(request: web.Request) -> web.StreamResponse:
    """Serve the queue with the conversation pane."""
    return await _page(request, "queue.html")


async def supervisor_page(request: web.Request) -> web.StreamResponse:
    """Serve the supervisor screen."""
    return await _page(request, "supervisor.html", minimum="supervisor")


async def root_redirect(request: web.Request) -> web.StreamResponse:
    """Send ``/operator/`` to ``/operator``."""
    raise web.HTTPSeeOther("/operator")


@requires("responder")
async def canned(request: web.Request) -> web.StreamResponse:
    """List the canned replies (optionally for one topic: ``?topic=youth``)."""
    catalog = request.app[keys.CONTENT].catalog
    topic = request.query.get("topic")
    replies = catalog.canned_for({topic} if topic else None)
    return web.json_response({"canned": [reply.as_json() for reply in replies]})


@requires("responder")
async def records(request: web.Request) -> web.StreamResponse:
    """List the close-form choices: categories, response types, suggested referrals."""
    return web.json_response(request.app[keys.CONTENT].catalog.records_json())


def setup(app: web.Application) -> None:
    """Add the operator pages, their static files, the catalog routes and the live hub."""
    settings = app[keys.SETTINGS]
    app[IDLE] = timedelta(minutes=settings.operator_idle_minutes)
    environment = aiohttp_jinja2.setup(
        app,
        app_key=TEMPLATES,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    environment.globals["topic_labels"] = TOPIC_LABELS
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/operator", queue_page)
    app.router.add_get("/operator/", root_redirect)
    app.router.add_get("/operator/login", login_page)
    app.router.add_get("/operator/c/{ref}", queue_page)
    app.router.add_get("/operator/supervisor", supervisor_page)
    app.router.add_static("/operator/static", STATIC_DIR)
    app.router.add_get("/api/canned", canned)
    app.router.add_get("/api/records", records)
    hub.setup(app)
