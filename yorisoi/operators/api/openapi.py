"""The OpenAPI description of the operator API, served at ``/api/openapi.json``.

Kept beside the handlers so that a change to a route and to its description land together;
``tests/operators/test_api_auth.py`` checks that every route is described.
"""

from __future__ import annotations

from typing import Any

from yorisoi.operators.api.schemas import (
    CONVERSATION,
    CSRF,
    ME,
    MESSAGE,
    NOTE,
    REF,
    SHIFT,
    SHIFT_FIELDS,
    SUMMARY,
    SUMMARY_SCHEMA,
    body,
    responses,
)
from yorisoi.operators.auth import COOKIE

QUEUE_VIEWS = ("waiting", "active", "closed", "mine", "open")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CLOSE_NOTE = 2000

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
            "Conversation": SUMMARY_SCHEMA,
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
                "responses": responses(
                    {
                        "type": "object",
                        "properties": {"csrf_token": {"type": "string"}, "staff": ME},
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
                "parameters": CSRF,
                "responses": responses({"type": "object"}, 401, 403),
            }
        },
        "/api/me": {
            "get": {
                "summary": "The signed-in staff member, with their shifts of the coming 7 days",
                "security": [{"session": []}],
                "responses": responses(
                    {
                        "allOf": [
                            ME,
                            {
                                "type": "object",
                                "properties": {
                                    **SHIFT_FIELDS,
                                    "shifts_local": {
                                        "type": "array",
                                        "items": SHIFT,
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
                "responses": responses(
                    {
                        "type": "object",
                        "required": ["conversations", "total", "next_cursor"],
                        "properties": {
                            "conversations": {"type": "array", "items": SUMMARY},
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
                "responses": responses({"type": "object"}, 401, 403),
            }
        },
        "/api/conversations/{ref}": {
            "get": {
                "summary": "One conversation's thread and notes (audited; marks the user's messages read)",
                "security": [{"session": []}],
                "parameters": [REF],
                "responses": responses(
                    {
                        "type": "object",
                        "properties": {
                            "conversation": SUMMARY,
                            "messages": {"type": "array", "items": MESSAGE},
                            "notes": {"type": "array", "items": NOTE},
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
                "parameters": [REF, *CSRF],
                "requestBody": body({"take_over": {"type": "boolean"}}, []),
                "responses": responses(CONVERSATION, 401, 403, 404, 409),
            }
        },
        "/api/conversations/{ref}/messages": {
            "post": {
                "summary": "Send a text to the user through the outbox (with the responder's name)",
                "security": [{"session": []}],
                "parameters": [REF, *CSRF],
                "requestBody": body(
                    {
                        "text": {"type": "string", "maxLength": 5000},
                        "confirm_other": {"type": "boolean"},
                    },
                    ["text"],
                ),
                "responses": responses(
                    {
                        "type": "object",
                        "properties": {"message": MESSAGE, "conversation": SUMMARY},
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
                "parameters": [REF, *CSRF],
                "requestBody": body({"text": {"type": "string", "maxLength": 5000}}, ["text"]),
                "responses": responses(
                    {"type": "object", "properties": {"note": NOTE}}, 400, 401, 403, 404
                ),
            }
        },
        "/api/conversations/{ref}/assign": {
            "post": {
                "summary": "Hand a case to a colleague (supervisor)",
                "security": [{"session": []}],
                "parameters": [REF, *CSRF],
                "requestBody": body({"login": {"type": "string"}}, ["login"]),
                "responses": responses(CONVERSATION, 400, 401, 403, 404, 409),
            }
        },
        "/api/conversations/{ref}/close": {
            "post": {
                "summary": "Close a case with its record (categories from operators/records.yaml)",
                "security": [{"session": []}],
                "parameters": [REF, *CSRF],
                "requestBody": body(
                    {
                        "category": {"type": "string"},
                        "response_type": {"type": "string"},
                        "note": {"type": "string", "maxLength": MAX_CLOSE_NOTE},
                        "referrals": {"type": "array", "items": {"type": "string"}},
                    },
                    ["category", "response_type"],
                ),
                "responses": responses(CONVERSATION, 400, 401, 403, 404, 409),
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
                "responses": responses({"type": "object"}, 401),
            }
        },
        "/api/records": {
            "get": {
                "summary": "Close-form choices (operators/records.yaml)",
                "security": [{"session": []}],
                "responses": responses({"type": "object"}, 401),
            }
        },
        "/api/staff": {
            "get": {
                "summary": "Staff, who is on duty, and their shifts of the coming 7 days (supervisor)",
                "security": [{"session": []}],
                "responses": responses(
                    {
                        "type": "object",
                        "properties": {
                            "staff": {
                                "type": "array",
                                "items": {
                                    "allOf": [
                                        ME,
                                        {
                                            "type": "object",
                                            "properties": {
                                                **SHIFT_FIELDS,
                                                "shifts_jst": {
                                                    "type": "array",
                                                    "items": SHIFT,
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
                "parameters": CSRF,
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
                "responses": responses(ME, 400, 401, 403),
            }
        },
    },
}
