"""Case handlers of the operator API: the queue, one thread, and the staff actions.

The handlers check roles (``requires``), read and validate the JSON, write the audit log
(every read of a conversation by staff is audited: who, which conversation, when) and leave
the work to ``yorisoi.cases.actions.StaffActions``. A ``CaseError`` they do not catch is
answered by the app's error middleware (``yorisoi.operators.api.errors``).
"""

from __future__ import annotations

import structlog
from aiohttp import web

from yorisoi import keys
from yorisoi.cases.errors import CaseError
from yorisoi.domain.people import is_supervising
from yorisoi.operators.api.errors import http_status
from yorisoi.operators.api.openapi import MAX_CLOSE_NOTE, MAX_PAGE_SIZE, PAGE_SIZE, QUEUE_VIEWS
from yorisoi.operators.api.shapes import last_read_token, note_json, summary, thread
from yorisoi.operators.api.staff import json_object
from yorisoi.operators.auth import BACKGROUND_HEADER, STAFF, api_error, audit, requires
from yorisoi.store.queries import CaseQuery, InvalidCursor
from yorisoi.store.records import CaseStatus, StaffMember

MAX_REFERRALS = 20

log = structlog.get_logger("yorisoi.operators.api")


def _secret(request: web.Request) -> str:
    return request.app[keys.SECRET_KEY]


def _page_size(request: web.Request) -> int | None:
    raw = request.query.get("limit", str(PAGE_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        return None
    return int(raw)


def _query(view: str, member: StaffMember) -> CaseQuery:
    """Return the store query of a queue view, with the viewer's visibility in it."""
    return CaseQuery(
        status=None if view in ("mine", "open") else CaseStatus(view),
        viewer_id=member.id,
        viewer_topics=None if is_supervising(member) else frozenset(member.topics),
        assigned_to=member.id if view == "mine" else None,
    )


@requires("responder")
async def conversations(request: web.Request) -> web.StreamResponse:
    """List one page of a queue view (only cases this staff member may see) and its total.

    Views: waiting, active, closed, mine (open cases assigned to me), open (waiting and
    active together). ``after`` is the ``next_cursor`` of the page before; ``total`` counts
    the whole view, so a badge is true however many pages there are.
    """
    view = request.query.get("status", "waiting")
    if view not in QUEUE_VIEWS:
        return api_error(400, "bad_request", f"status は {', '.join(QUEUE_VIEWS)} のどれかです。")
    limit = _page_size(request)
    if limit is None:
        return api_error(400, "bad_limit", f"limit は 1 から {MAX_PAGE_SIZE} までの 数です。")
    member: StaffMember = request[STAFF]
    try:
        page = await request.app[keys.STORE].find_cases(
            _query(view, member), after=request.query.get("after") or None, limit=limit
        )
    except InvalidCursor:
        return api_error(400, "bad_cursor", "一覧の 続きの 位置が 正しくありません。")
    return web.json_response(
        {
            "conversations": [summary(c, _secret(request)) for c in page.items],
            "total": page.total,
            "next_cursor": page.next_cursor,
        }
    )


@requires("supervisor")
async def queue_counts(request: web.Request) -> web.StreamResponse:
    """Count the open cases by status, topic and risk (true counts, for the supervisor)."""
    counts = await request.app[keys.STORE].queue_counts()
    return web.json_response(
        {
            str(status): {
                "total": counts.count(status),
                "by_topic": counts.by_topic(status),
                "by_risk": counts.by_risk(status),
            }
            for status in (CaseStatus.WAITING, CaseStatus.ACTIVE)
        }
    )


@requires("responder")
async def conversation(request: web.Request) -> web.StreamResponse:
    """Return one conversation's thread; audited, and the user's messages marked as read."""
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    try:
        found = await request.app[keys.STAFF_ACTIONS].find(ref, member)
    except CaseError as exc:
        status = http_status(exc)
        await audit(request, member.login, "conversation.read_refused", ref, status=status)
        raise
    background = request.headers.get(BACKGROUND_HEADER) == "1"
    await audit(request, member.login, "conversation.read", ref, background=background)
    shown = await thread(request.app[keys.STORE], found, _secret(request))
    entries = await request.app[keys.STORE].conversation_messages(found.user_id, 50)
    token = last_read_token(entries)
    if token is not None and not background:
        # The user sees 既読 only now that a person has opened the conversation.
        result = await request.app[keys.LINE].mark_as_read(token)
        if not result.delivered:
            log.warning("line.mark_as_read_failed", kind=result.kind)
    return web.json_response(shown)


@requires("responder")
async def claim(request: web.Request) -> web.StreamResponse:
    """Take a waiting case; a supervisor may take over with ``{"take_over": true}``."""
    body = await json_object(request) if request.can_read_body else {}
    if body is None:
        return api_error(400, "bad_request", "JSON で送ってください。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    turn = await request.app[keys.STAFF_ACTIONS].claim(
        ref, member, take_over=body.get("take_over") is True
    )
    await audit(request, member.login, "case.claim", ref, take_over=body.get("take_over") is True)
    return web.json_response({"conversation": summary(turn.conversation, _secret(request))})


@requires("responder")
async def send(request: web.Request) -> web.StreamResponse:
    """Send a responder's text to the user through the outbox."""
    body = await json_object(request)
    if body is None or not isinstance(body.get("text"), str):
        return api_error(400, "bad_request", "text を JSON で送ってください。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    turn = await request.app[keys.STAFF_ACTIONS].send(
        ref, member, body["text"], confirm_other=body.get("confirm_other") is True
    )
    await audit(request, member.login, "case.message", ref)
    messages = await thread(request.app[keys.STORE], turn.conversation, _secret(request))
    sent = [m for m in messages["messages"] if m["id"] in {e.id for e in turn.logged}]
    return web.json_response(
        {
            "message": sent[0] if sent else None,
            "conversation": summary(turn.conversation, _secret(request)),
        }
    )


@requires("responder")
async def note(request: web.Request) -> web.StreamResponse:
    """Add an internal note (never sent to the user)."""
    body = await json_object(request)
    if body is None or not isinstance(body.get("text"), str):
        return api_error(400, "bad_request", "text を JSON で送ってください。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    turn = await request.app[keys.STAFF_ACTIONS].note(ref, member, body["text"])
    await audit(request, member.login, "case.note", ref)
    return web.json_response({"note": note_json(turn.logged[0])})


@requires("supervisor")
async def assign(request: web.Request) -> web.StreamResponse:
    """A supervisor hands a case to a colleague: ``{"login": ...}``."""
    body = await json_object(request)
    if body is None or not isinstance(body.get("login"), str):
        return api_error(400, "bad_request", "login を JSON で送ってください。")
    target = await request.app[keys.STORE].staff_by_login(body["login"])
    if target is None:
        return api_error(404, "unknown_staff", "その ログイン名の スタッフは いません。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    turn = await request.app[keys.STAFF_ACTIONS].assign(ref, member, target)
    await audit(request, member.login, "case.assign", ref, to=target.login)
    return web.json_response({"conversation": summary(turn.conversation, _secret(request))})


@requires("responder")
async def close(request: web.Request) -> web.StreamResponse:
    """Close a case with its record: category, response type, note, referrals made."""
    body = await json_object(request)
    if body is None:
        return api_error(400, "bad_request", "JSON で送ってください。")
    category, response_type = body.get("category"), body.get("response_type")
    note_text = body.get("note", "")
    referrals = body.get("referrals", [])
    catalog = request.app[keys.CONTENT].catalog
    if not isinstance(category, str) or catalog.category(category) is None:
        known = ", ".join(c.key for c in catalog.categories)
        return api_error(400, "bad_category", f"category は 次の どれかです: {known}")
    if not isinstance(response_type, str) or catalog.response_type(response_type) is None:
        known = ", ".join(c.key for c in catalog.response_types)
        return api_error(400, "bad_response_type", f"response_type は 次の どれかです: {known}")
    if not isinstance(note_text, str) or len(note_text) > MAX_CLOSE_NOTE:
        return api_error(400, "bad_note", f"note は {MAX_CLOSE_NOTE} 文字までの 文字列です。")
    if (
        not isinstance(referrals, list)
        or len(referrals) > MAX_REFERRALS
        or not all(isinstance(r, str) and 0 < len(r) <= 100 for r in referrals)
    ):
        return api_error(400, "bad_referrals", "referrals は 文字列の リストです。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    record = {
        "category": category,
        "response_type": response_type,
        "note": note_text,
        "referrals": referrals,
    }
    turn = await request.app[keys.STAFF_ACTIONS].close(ref, member, record)
    await audit(
        request, member.login, "case.close", ref, category=category, response_type=response_type
    )
    return web.json_response({"conversation": summary(turn.conversation, _secret(request))})
