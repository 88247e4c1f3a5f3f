"""Why a staff action on a case cannot be done: domain errors, with no HTTP in them.

Each error carries a stable ``code`` (for programs) and a Japanese ``message`` (for the
person at the operator view). The operator API maps the kinds to HTTP statuses in one
place (``yorisoi.operators.api.errors``).
"""

from __future__ import annotations


class CaseError(Exception):
    """Raised when a staff action on a case cannot be done; ``code`` says which rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CaseNotFound(CaseError):
    """Raised when there is no such case (or none this person may know of)."""

    def __init__(self) -> None:
        super().__init__("not_found", "その相談は 見つかりません。")


class CaseForbidden(CaseError):
    """Raised when this person's role or topics do not allow the action."""


class CaseConflict(CaseError):
    """Raised when the case is not in a state that allows the action (taken, closed, ...)."""


class CaseInputError(CaseError):
    """Raised when what the person asked for is not valid (an empty message, ...)."""


def claimed_by_other(name: str | None) -> CaseConflict:
    """Return the error for a case a colleague has taken."""
    return CaseConflict("claimed_by_other", f"この相談は {name} さんが 担当しています。")


def already_closed() -> CaseConflict:
    """Return the error for a case that is closed already."""
    return CaseConflict("closed", "この相談は もう 終了しています。")


def busy() -> CaseConflict:
    """Return the error for an action that lost every race with other changes."""
    return CaseConflict("busy", "ほかの 操作と 重なりました。もう一度 試してください。")
