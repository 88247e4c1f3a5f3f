"""Case errors as HTTP answers: the one place a domain refusal gets a status code."""

from __future__ import annotations

from aiohttp import web

from yorisoi.cases.errors import (
    CaseConflict,
    CaseError,
    CaseForbidden,
    CaseInputError,
    CaseNotFound,
)
from yorisoi.operators.auth import api_error

STATUS: dict[type[CaseError], int] = {
    CaseNotFound: 404,
    CaseForbidden: 403,
    CaseConflict: 409,
    CaseInputError: 400,
}


def http_status(exc: CaseError) -> int:
    """Return the HTTP status for a case error (400 for a kind not listed)."""
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def case_error_response(exc: CaseError) -> web.Response:
    """Return the JSON error answer for a case error."""
    return api_error(http_status(exc), exc.code, exc.message)
