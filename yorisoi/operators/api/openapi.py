"""The OpenAPI description of the operator API, served at ``/api/openapi.json``.

Kept beside the handlers so that a change to a route and to its description land together;
``tests/operators/test_api_auth.py`` checks that every route is described.
"""

from __future__ import annotations

from typing import Any

from yorisoi.operators.auth import COOKIE

QUEUE_VIEWS = ("waiting", "active", "closed", "mine", "open")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CLOSE_NOTE = 2000

_ERROR = {"$ref": "#/components/schemas/Error"}
_ME = {"$ref": "#/components/schemas/Me"}
_SHIFT = {
    "type": "object",
    "required": ["start", "end", "label"],
    "properties": {
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "label": {"type": "string", "description": "e.g. 11/24(火) 22:00–翌02:00"},
    },
}
_SHIFT_FIELDS = {
    "shift_timezone": {
        "type": ["string", "null"],
        "description": "the zone the shifts are written in (operators/shifts.yaml)",
    },
    "on_shift_now": {"type": "boolean", "description": "by the plan; on_duty decides handoffs"},
}


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok}}}
    }
    for status in errors:
        answers[str(status)] = {
            "description": "error",
            "content": {"application/json": {"schema": _ERROR}},
        }
    return answers


_CSRF = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"}}]
_REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}
_SUMMARY = {"$ref": "#/components/schemas/Conversation"}
_CONVERSATION = {"type": "object", "properties": {"conversation": _SUMMARY}}
_MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "direction": {"enum": ["in", "out"]},
        "author": {"enum": ["user", "bot", "staff"]},
        "staff": {"type": ["string", "null"]},
        "kind": {"type": "string"},
        "text": {"type": ["string", "null"]},
        "at": {"type": "string", "format": "date-time"},
        "delivery": {
            "enum": ["queued", "sent", "failed", "waiting_quota", "uncertain", "skipped", None]
        },
    },
}
_NOTE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "author": {"type": ["string", "null"]},
        "text": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
    },
}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "staff-facing id; never the LINE user id"},
        "pseudonym": {"type": "string"},
        "topic": {"enum": ["youth", "mothers", "general"]},
        "mode": {"enum": ["handoff", "vent", "message"]},
        "status": {"enum": ["waiting", "active", "closed"]},
        "risk": {"enum": ["none", "concern", "high"]},
        "night": {"type": "boolean"},
        "opened_at": _TIME,
        "waiting_since": _TIME,
        "claimed_at": _TIME,
        "closed_at": _TIME,
        "last_message_at": _TIME,
        "assigned": {
            "type": ["object", "null"],
            "properties": {"id": {"type": "string"}, "display_name": {"type": "string"}},
        },
        "intake": {
            "type": "object",
            "properties": {
                "age_band": {"type": ["string", "null"]},
                "gender": {"type": ["string", "null"]},
                "prefecture": {"type": ["string", "null"]},
            },
        },
        "alerted": {"type": "boolean"},
        "blocked": {"type": "boolean"},
        "version": {"type": "integer"},
    },
}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": bool(required),
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": required, "properties": properties}
            }
        },
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "yorisoi operator API", "version": "0.1.0"},
    "components": {
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": COOKIE}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
            "Conversation": _SUMMARY_SCHEMA,
            "Me": {
                "type": "object",
                "required": ["login", "display_name", "role", "on_duty"],
                "properties": {
                    "login": {"type": "string"},
                    "display_name": {"type": "string"},
                    "role": {"enum": ["responder", "supervisor", "admin"]},
                    "on_duty": {"type": "boolean"},
                },
            },
        },
    },
    "paths": {
        "/api/login": {
            "post": {
                "summary": "Sign in; sets the session cookie and returns the CSRF token",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["login", "password"],
                                "properties": {
                                    "login": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {"csrf_token": {"type": "string"}, "staff": _ME},
                    },
                    400,
                    401,
                    429,
                ),
            }
        },
        "/api/logout": {
            "post": {
                "summary": "End the session",
                "security": [{"session": []}],
                "parameters": _CSRF,
                "responses": _responses({"type": "object"}, 401, 403),
            }
        },
        "/api/me": {
            "get": {
                "summary": "The signed-in staff member, with their shifts of the coming 7 days",
                "security": [{"session": []}],
                "responses": _responses(
                    {
                        "allOf": [
                            _ME,
                            {
                                "type": "object",
                                "properties": {
                                    **_SHIFT_FIELDS,
                                    "shifts_local": {
                                        "type": "array",
                                        "items": _SHIFT,
                                        "description": "in the member's own time zone",
                                    },
                                },
                            },
                        ]
                    },
                    401,
                ),
            }
        },
        "/api/conversations": {
            "get": {
                "summary": "One page of a queue view (risk first, then waiting time) and its total",
                "security": [{"session": []}],
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": list(QUEUE_VIEWS), "default": "waiting"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE_SIZE,
                            "default": PAGE_SIZE,
                        },
                    },
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "description": "next_cursor of the page before",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": _responses(
                    {
                        "type": "object",
                        "required": ["conversations", "total", "next_cursor"],
                        "properties": {
                            "conversations": {"type": "array", "items": _SUMMARY},
                            "total": {
                                "type": "integer",
                                "description": "cases in the whole view, not in this page",
                            },
                            "next_cursor": {
                                "type": ["string", "null"],
                                "description": "null on the last page",
                            },
                        },
                    },
                    400,
                    401,
                ),
            }
        },
        "/api/queue/counts": {
            "get": {
                "summary": "Open cases counted by status, topic and risk (supervisor)",
                "security": [{"session": []}],
                "responses": _responses({"type": "object"}, 401, 403),
            }
        },
        "/api/conversations/{ref}": {
            "get": {
                "summary": "One conversation's thread and notes (audited; marks the user's messages read)",
                "security": [{"session": []}],
                "parameters": [_REF],
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {
                            "conversation": _SUMMARY,
                            "messages": {"type": "array", "items": _MESSAGE},
                            "notes": {"type": "array", "items": _NOTE},
                        },
                    },
                    401,
                    403,
                    404,
                ),
            }
        },
        "/api/conversations/{ref}/claim": {
            "post": {
                "summary": "Take a waiting case; a supervisor may take over with take_over",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body({"take_over": {"type": "boolean"}}, []),
                "responses": _responses(_CONVERSATION, 401, 403, 404, 409),
            }
        },
        "/api/conversations/{ref}/messages": {
            "post": {
                "summary": "Send a text to the user through the outbox (with the responder's name)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body(
                    {
                        "text": {"type": "string", "maxLength": 5000},
                        "confirm_other": {"type": "boolean"},
                    },
                    ["text"],
                ),
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {"message": _MESSAGE, "conversation": _SUMMARY},
                    },
                    400,
                    401,
                    403,
                    404,
                    409,
                ),
            }
        },
        "/api/conversations/{ref}/notes": {
            "post": {
                "summary": "Add an internal note (never sent to the user)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body({"text": {"type": "string", "maxLength": 5000}}, ["text"]),
                "responses": _responses(
                    {"type": "object", "properties": {"note": _NOTE}}, 400, 401, 403, 404
                ),
            }
        },
        "/api/conversations/{ref}/assign": {
            "post": {
                "summary": "Hand a case to a colleague (supervisor)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body({"login": {"type": "string"}}, ["login"]),
                "responses": _responses(_CONVERSATION, 400, 401, 403, 404, 409),
            }
        },
        "/api/conversations/{ref}/close": {
            "post": {
                "summary": "Close a case with its record (categories from operators/records.yaml)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body(
                    {
                        "category": {"type": "string"},
                        "response_type": {"type": "string"},
                        "note": {"type": "string", "maxLength": MAX_CLOSE_NOTE},
                        "referrals": {"type": "array", "items": {"type": "string"}},
                    },
                    ["category", "response_type"],
                ),
                "responses": _responses(_CONVERSATION, 400, 401, 403, 404, 409),
            }
        },
        "/api/canned": {
            "get": {
                "summary": "Canned replies (operators/canned.yaml), optionally for one topic",
                "security": [{"session": []}],
                "parameters": [
                    {
                        "name": "topic",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["youth", "mothers", "general"]},
                    }
                ],
                "responses": _responses({"type": "object"}, 401),
            }
        },
        "/api/records": {
            "get": {
                "summary": "Close-form choices (operators/records.yaml)",
                "security": [{"session": []}],
                "responses": _responses({"type": "object"}, 401),
            }
        },
        "/api/staff": {
            "get": {
                "summary": "Staff, who is on duty, and their shifts of the coming 7 days (supervisor)",
                "security": [{"session": []}],
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {
                            "staff": {
                                "type": "array",
                                "items": {
                                    "allOf": [
                                        _ME,
                                        {
                                            "type": "object",
                                            "properties": {
                                                **_SHIFT_FIELDS,
                                                "shifts_jst": {
                                                    "type": "array",
                                                    "items": _SHIFT,
                                                    "description": "in Japan time",
                                                },
                                            },
                                        },
                                    ]
                                },
                            },
                            "shifts_without_staff": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "logins in operators/shifts.yaml with no active account",
                            },
                        },
                    },
                    401,
                    403,
                ),
            }
        },
        "/api/me/duty": {
            "put": {
                "summary": "Switch on or off duty",
                "security": [{"session": []}],
                "parameters": _CSRF,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["on_duty"],
                                "properties": {"on_duty": {"type": "boolean"}},
                            }
                        }
                    },
                },
                "responses": _responses(_ME, 400, 401, 403),
            }
        },
    },
}
