"""What a conversation remembers between turns, typed: ``ConversationData``.

Five parts of yorisoi write here: the flow's actions (terms, intake, venting topic, feedback),
the FAQ actions (answers given, 「役に立った」), the safety net (risk level, recent signals, the
last gentle check-in) and the morning job (one morning message per day). Each field says who
writes it. It is saved with the conversation as a JSON object (``to_dict``), with the same
keys as before it was typed, and keys this version does not know are kept as they are
(``extra``), so a store written by another version loses nothing.

Times are ISO 8601 strings, as they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Intake:
    """The optional intake answers (never a name): 答えたくない is kept as ``declined``."""

    age_band: str | None = None
    gender: str | None = None
    prefecture: str | None = None
    skipped: bool = False
    done_at: str | None = None  # set once, when the intake was answered or skipped
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """True once the intake was answered or skipped (it is asked once per user)."""
        return self.done_at is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the intake as stored (unset answers are left out)."""
        stored: dict[str, Any] = dict(self.extra)
        for key in ("age_band", "gender", "prefecture", "done_at"):
            if getattr(self, key) is not None:
                stored[key] = getattr(self, key)
        if self.skipped:
            stored["skipped"] = True
        return stored

    @classmethod
    def from_dict(cls, raw: Any) -> Intake:
        """Read a stored intake (anything that is not an object reads as no answers)."""
        if not isinstance(raw, dict):
            return cls()
        known = {"age_band", "gender", "prefecture", "done_at", "skipped"}
        return cls(
            age_band=_text(raw.get("age_band")),
            gender=_text(raw.get("gender")),
            prefecture=_text(raw.get("prefecture")),
            skipped=bool(raw.get("skipped")),
            done_at=_text(raw.get("done_at")),
            extra={k: v for k, v in raw.items() if k not in known},
        )


@dataclass(slots=True)
class ConversationData:
    """What one conversation remembers; see the module docstring for who writes what."""

    intake: Intake = field(default_factory=Intake)  # the flow's intake actions
    topic: str | None = None  # start_venting: the case goes to the mothers' line
    terms_shown_at: str | None = None  # record_terms_shown
    feedback: list[dict[str, Any]] = field(default_factory=list)  # record_feedback
    faq_answers: list[dict[str, Any]] = field(default_factory=list)  # the FAQ actions
    faq_helpful: list[dict[str, Any]] = field(default_factory=list)  # the FAQ actions
    risk: str | None = None  # the safety net: none, concern, high (only goes up)
    risk_signals: list[list[str]] = field(default_factory=list)  # [level, at], recent ones
    checked_in_at: str | None = None  # the safety net's last gentle check-in
    morning_sent_on: str | None = None  # the morning job: the local date it last sent
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know

    def to_dict(self) -> dict[str, Any]:
        """Return the data as stored: a JSON object, unset fields left out."""
        stored: dict[str, Any] = dict(self.extra)
        intake = self.intake.to_dict()
        if intake:
            stored["intake"] = intake
        for key in _OPTIONAL:
            value = getattr(self, key)
            if value is not None:
                stored[key] = value
        for key in _LISTS:
            value = getattr(self, key)
            if value:
                stored[key] = [item for item in value]
        return stored

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ConversationData:
        """Read stored data; unknown keys are kept in ``extra``, odd values read as unset."""
        raw = raw or {}
        data = cls(intake=Intake.from_dict(raw.get("intake")))
        for key in _OPTIONAL:
            setattr(data, key, _text(raw.get(key)))
        for key in _LISTS:
            value = raw.get(key)
            setattr(data, key, list(value) if isinstance(value, list) else [])
        known = {"intake", *_OPTIONAL, *_LISTS}
        data.extra = {k: v for k, v in raw.items() if k not in known}
        return data

    def copy(self) -> ConversationData:
        """Return an independent copy (turns change copies, never the loaded record)."""
        return ConversationData.from_dict(self.to_dict())

    @staticmethod
    def keep_recent(
        items: list[dict[str, Any]], item: dict[str, Any], kept: int
    ) -> list[dict[str, Any]]:
        """Return ``items`` with ``item`` added, keeping the newest ``kept``."""
        return [*items, item][-kept:]


_OPTIONAL = ("topic", "terms_shown_at", "risk", "checked_in_at", "morning_sent_on")
_LISTS = ("feedback", "faq_answers", "faq_helpful", "risk_signals")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
