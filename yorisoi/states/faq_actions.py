"""The FAQ in the conversation: the actions the default flow runs in its FAQ states.

(They live with the flow engine, not in ``yorisoi.faq``: they act on a turn of the flow,
and ``yorisoi.faq`` knows nothing of flows.)

「よくある質問」 shows the categories as quick replies, a category shows its questions, a
question gets its answer with 「役に立った」/「相談員と話したい」; free text typed in any FAQ
state goes through the matcher, which answers only when confident, else offers the closest
questions or the categories and a person. What the bot says around the menus is worded in
the flow (``texts:``); the answers come from ``faq/``.

Every answer given and every 「役に立った」 is kept in the conversation's data for tuning
(entry id and score only, never the text) and logged the same way.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from yorisoi.domain.data import ConversationData
from yorisoi.domain.people import YOUTH_AGE_BANDS, is_minor
from yorisoi.faq.library import FaqLibrary
from yorisoi.faq.messages import HUMAN_LABEL, quick_reply
from yorisoi.line.messages import render_say
from yorisoi.states.turn import Turn

log = structlog.get_logger("yorisoi.faq")

KEPT = 30  # answers remembered per conversation for tuning
MAX_QUICK_REPLIES = 13


def audience_of(data: ConversationData) -> str | None:
    """Return whose menus to show first: youth, mothers, or None (everyone's)."""
    if data.topic == "mothers":
        return "mothers"
    return "youth" if data.intake.age_band in YOUTH_AGE_BANDS else None


def minor_of(data: ConversationData) -> bool | None:
    """Return True/False when the user told their age band, None when unknown."""
    return is_minor(data.intake.age_band)


def _text(turn: Turn, name: str) -> str:
    return str(render_say(turn.texts[name], turn.context.placeholders)["text"])


def _library(turn: Turn) -> FaqLibrary | None:
    library: FaqLibrary | None = turn.context.faq
    if library is None:
        turn.messages.append(render_say(turn.texts["faq_unavailable"], turn.context.placeholders))
    return library


def _with_human(message: dict[str, Any]) -> dict[str, Any]:
    items = message.setdefault("quickReply", {"items": []})["items"]
    if len(items) < MAX_QUICK_REPLIES:
        items.append(quick_reply(HUMAN_LABEL, "choose_human"))
    return message


async def faq_categories(turn: Turn) -> None:
    """Offer the FAQ categories (the person's own audience first)."""
    library = _library(turn)
    if library is not None:
        turn.messages.append(library.category_menu(_text(turn, "faq_menu"), audience_of(turn.data)))


async def faq_entries(turn: Turn) -> None:
    """Offer the questions of the tapped category."""
    library = _library(turn)
    if library is None:
        return
    if not library.entries_in(turn.value or "", audience_of(turn.data)):
        # A category from an older menu that no longer exists: offer the current ones.
        turn.messages.append(library.category_menu(_text(turn, "faq_menu"), audience_of(turn.data)))
        return
    turn.messages.append(
        library.entry_menu(_text(turn, "faq_entries"), turn.value or "", audience_of(turn.data))
    )


async def faq_answer(turn: Turn) -> None:
    """Answer the tapped question."""
    library = _library(turn)
    if library is None:
        return
    if turn.value is None or library.entry(turn.value) is None:
        turn.messages.append(library.category_menu(_text(turn, "faq_menu"), audience_of(turn.data)))
        return
    _answer(turn, library, turn.value, score=None)


async def faq_search(turn: Turn) -> None:
    """Match typed text: answer when confident, else the closest questions or the menu."""
    library = _library(turn)
    if library is None:
        return
    text = turn.event.text or ""
    if turn.context.matching is None:
        match = library.match(text)
    else:
        # Tokenising and embedding take a few milliseconds of CPU: not on the event loop.
        loop = asyncio.get_running_loop()
        match = await loop.run_in_executor(turn.context.matching, library.match, text)
    if match.hit is not None:
        _answer(turn, library, match.hit.id, score=match.score)
        return
    log.info("faq.miss", score=round(match.score, 3), reasons=list(match.reasons))
    offer = library.did_you_mean(match, _text(turn, "faq_did_you_mean"))
    if offer is None:
        offer = _with_human(library.category_menu(_text(turn, "faq_miss"), audience_of(turn.data)))
    turn.messages.append(offer)


async def record_faq_feedback(turn: Turn) -> None:
    """Keep 「役に立った」 for the entry it was tapped under."""
    helpful = {"id": turn.value, "at": turn.now.isoformat()}
    turn.data.faq_helpful = ConversationData.keep_recent(turn.data.faq_helpful, helpful, KEPT)
    log.info("faq.helpful", faq_id=turn.value)


def _answer(turn: Turn, library: FaqLibrary, entry_id: str, *, score: float | None) -> None:
    turn.messages.extend(library.answer_messages(entry_id, minor=minor_of(turn.data)))
    answer = {"id": entry_id, "score": score, "at": turn.now.isoformat()}
    turn.data.faq_answers = ConversationData.keep_recent(turn.data.faq_answers, answer, KEPT)
    log.info("faq.answer", faq_id=entry_id, score=score, version=library.version[:12])
