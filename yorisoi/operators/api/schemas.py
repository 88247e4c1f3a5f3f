"""Pieces of the operator API's OpenAPI description: shared schemas, parameters, answers."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}
ME = {"$ref": "#/components/schemas/Me"}
SHIFT = {
    "type": "object",
    "required": ["start", "end", "label"],
    "properties": {
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "label": {"type": "string", "description": "e.g. 11/24(火) 22:00–翌02:00"},
    },
}
SHIFT_FIELDS = {
    "shift_timezone": {
        "type": ["string", "null"],
        "description": "the zone the shifts are written in (operators/shifts.yaml)",
    },
    "on_shift_now": {"type": "boolean", "description": "by the plan; on_duty decides handoffs"},
}


def responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok}}}
    }
    for status in errors:
        answers[str(status)] = {
            "description": "error",
            "content": {"application/json": {"schema": ERROR}},
        }
    return answers


CSRF = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"}}]
REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}
SUMMARY = {"$ref": "#/components/schemas/Conversation"}
CONVERSATION = {"type": "object", "properties": {"conversation": SUMMARY}}
MESSAGE = {
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
NOTE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "author": {"type": ["string", "null"]},
        "text": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
    },
}
TIME = {"type": ["string", "null"], "format": "date-time"}
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "staff-facing id; never the LINE user id"},
        "pseudonym": {"type": "string"},
        "topic": {"enum": ["youth", "mothers", "general"]},
        "mode": {"enum": ["handoff", "vent", "message"]},
        "status": {"enum": ["waiting", "active", "closed"]},
        "risk": {"enum": ["none", "concern", "high"]},
        "night": {"type": "boolean"},
        "opened_at": TIME,
        "waiting_since": TIME,
        "claimed_at": TIME,
        "closed_at": TIME,
        "last_message_at": TIME,
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
        "attention": {
            "type": "array",
            "items": {"type": "string"},
            "description": "why the case needs a responder's attention (repeated concern)",
        },
        "blocked": {"type": "boolean"},
        "version": {"type": "integer"},
    },
}


def body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": bool(required),
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": required, "properties": properties}
            }
        },
    }
