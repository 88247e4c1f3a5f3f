"""The operator JSON API under ``/api/``: sign-in, the on-duty switch, the queue and cases.

The operator view (a browser page) and any other staff tool sit on this API:
``staff`` (sessions, duty, colleagues), ``cases`` (the queue, threads, staff actions),
``shapes`` (the JSON staff see), ``errors`` (case errors as HTTP), ``openapi`` (its
description).
"""

from __future__ import annotations

from aiohttp import web

from yorisoi.operators.api import cases, staff
from yorisoi.operators.api.openapi import OPENAPI
from yorisoi.operators.auth import THROTTLE, LoginThrottle

__all__ = ["OPENAPI", "setup"]


def setup(app: web.Application) -> None:
    """Add the operator API routes."""
    app[THROTTLE] = LoginThrottle()
    app.router.add_post("/api/login", staff.login)
    app.router.add_post("/api/logout", staff.logout)
    app.router.add_get("/api/me", staff.me)
    app.router.add_put("/api/me/duty", staff.duty)
    app.router.add_get("/api/openapi.json", staff.openapi)
    app.router.add_get("/api/staff", staff.staff_list)
    app.router.add_get("/api/conversations", cases.conversations)
    app.router.add_get("/api/queue/counts", cases.queue_counts)
    app.router.add_get("/api/conversations/{ref}", cases.conversation)
    app.router.add_post("/api/conversations/{ref}/claim", cases.claim)
    app.router.add_post("/api/conversations/{ref}/messages", cases.send)
    app.router.add_post("/api/conversations/{ref}/notes", cases.note)
    app.router.add_post("/api/conversations/{ref}/assign", cases.assign)
    app.router.add_post("/api/conversations/{ref}/close", cases.close)
