"""The safety net: every inbound text screened first, and what a risk level changes.

``SafetyNet`` holds what the conversation code needs from ``yorisoi.safety``: the screener,
the crisis contacts and the crisis texts of one content version (loaded and kept by
``yorisoi.content``), and the app's screening executor. ``assess`` keeps
the conversation's risk in its data (the highest level seen, and the recent signals) and
says what to do:

- ``crisis``: send the crisis reply at once, whatever state the conversation is in: the
  message itself is ``high`` (an explicit signal: intent, plan, means, an act under way,
  harm to a child). Repeated ``concern`` is never a crisis by itself;
- ``attention``: a second ``concern`` within a day: the case shows responders it needs
  attention, with the reasons; the person gets no crisis script;
- ``check_in``: add one gentle line (at most once a day) and go on with the flow.

Nothing here raises on bad input: a screener failure is ``concern`` (the screener says so
itself), and the crisis reply falls back to 110/119 when its content cannot be used.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from yorisoi.domain.data import ConversationData
from yorisoi.safety.contacts import CrisisContacts
from yorisoi.safety.crisis import CrisisTexts, check_in_message, crisis_messages
from yorisoi.safety.lexicon import Level
from yorisoi.safety.screen import REPEAT_WINDOW, Screener, Screening, combine, repeated_concern

log = structlog.get_logger("yorisoi.safety")

# Lexicon rules that mean violence at home: the crisis reply then puts DV lines first.
VIOLENCE_RULES = frozenset(
    {"being_hit", "rampage_at_home", "home_fear", "stalked", "will_be_killed", "sexual_abuse"}
)
CHECK_IN_EVERY = timedelta(days=1)
SIGNALS_KEPT = 20


@dataclass(frozen=True, slots=True)
class Assessment:
    """What one message means for the conversation's risk, and what the bot must do."""

    message: Level
    conversation: Level
    reasons: tuple[str, ...]
    crisis: bool
    check_in: bool
    attention: bool = False  # repeated concern: for responders, never the crisis reply

    @property
    def violence_at_home(self) -> bool:
        """True if a rule about violence at home fired."""
        return any(reason in VIOLENCE_RULES for reason in self.reasons)


class SafetyNet:
    """The screener and the crisis reply of one content version."""

    def __init__(
        self,
        screener: Screener,
        contacts: CrisisContacts | None,
        texts: CrisisTexts | None,
        *,
        executor: Executor,
    ) -> None:
        """Screen with `screener` on `executor` (the app's screening thread)."""
        self.screener = screener
        self.contacts = contacts
        self.texts = texts
        self._executor = executor

    async def screen_off_loop(self, text: str) -> Screening:
        """Screen one message on the screener's own thread; never raises.

        Embedding a message for the similarity check takes about a millisecond of numpy
        work, which would otherwise hold up every other conversation on the event loop.
        The app owns the executor: one thread, as the tokenizer and the model are not shared
        between threads.
        """
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self.screen, text)
        except Exception:
            log.exception("safety.screen_failed")
            return Screening(Level.CONCERN, ("screener_error",))

    def screen(self, text: str) -> Screening:
        """Screen one message; never raises (a failure is ``concern``)."""
        try:
            return self.screener.screen(text)
        except Exception:
            log.exception("safety.screen_failed")
            return Screening(Level.CONCERN, ("screener_error",))

    def assess(self, data: ConversationData, screening: Screening, now: datetime) -> Assessment:
        """Record a screened message in the conversation's data and say what to do."""
        previous_level = _level(data.risk)
        signals = [
            (_level(level), datetime.fromisoformat(at))
            for level, at in data.risk_signals
            if now - datetime.fromisoformat(at) <= REPEAT_WINDOW
        ]
        counted = screening.level if _is_signal(screening) else Level.NONE
        attention = repeated_concern(signals, counted, now)
        level = combine(signals, screening.level, now)
        level = max(level, previous_level, key=lambda item: item.rank)
        if screening.level.rank >= Level.CONCERN.rank and _is_signal(screening):
            signals.append((screening.level, now))
        data.risk = level.value
        data.risk_signals = [[lv.value, at.isoformat()] for lv, at in signals][-SIGNALS_KEPT:]
        crisis = screening.level is Level.HIGH
        check_in = False
        if not crisis and screening.level is Level.CONCERN:
            last = data.checked_in_at
            if last is None or now - datetime.fromisoformat(last) >= CHECK_IN_EVERY:
                data.checked_in_at = now.isoformat()
                check_in = True
        return Assessment(screening.level, level, screening.reasons, crisis, check_in, attention)

    def crisis_reply(
        self,
        assessment: Assessment,
        *,
        now: datetime,
        minor: bool | None,
        staffed_now: bool,
        next_opening_text: str | None,
    ) -> list[dict[str, Any]]:
        """Return the crisis reply (never empty, never raises)."""
        return crisis_messages(
            self.contacts,
            self.texts,
            now=now,
            minor=minor,
            violence_at_home=assessment.violence_at_home,
            staffed_now=staffed_now,
            next_opening_text=next_opening_text,
        )

    def check_in(self) -> list[dict[str, Any]]:
        """Return the gentle check-in line for ``concern`` (empty without usable texts)."""
        message = check_in_message(self.texts)
        return [message] if message is not None else []

    def round_the_clock_lines(self, now: datetime, *, minor: bool | None = None) -> str:
        """Return the verified 24-hour lines that fit the person, one per line (night text).

        With the age unknown, lines for children are left out: most people writing at night
        are adults, and an adult shown only a children's line is shown no line for them
        (``CrisisContacts.crisis_lines``); the text around this says 110 and 119 anyway.
        """
        if self.contacts is None:
            return ""
        try:
            lines = [c for c in self.contacts.crisis_lines(now, minor=minor) if c.always]
            if minor is not True:
                lines = [c for c in lines if "minors" not in c.audience or "everyone" in c.audience]
            return "\n".join(f"・{c.name} {c.number}（24時間）" for c in lines if c.number)
        except Exception:
            log.exception("safety.lines_failed")
            return ""


def _is_signal(screening: Screening) -> bool:
    """True unless only the learned classifier spoke: its `concern` is shown to responders
    but two of them do not make a conversation `high` (everyday lines would)."""
    return any(not reason.startswith("classifier:") for reason in screening.reasons)


def _level(value: Any) -> Level:
    try:
        return Level(value)
    except ValueError:
        return Level.NONE
