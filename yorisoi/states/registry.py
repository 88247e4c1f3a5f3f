"""The names a flow may use: event triggers, actions, conditions, texts and placeholders.

Flows are data; actions and conditions are code. A flow names them, this module maps the
names to plain functions, and the validator refuses a flow that names anything else.

Actions never touch the store or LINE. What needs more than the turn (opening a case for
responders, for instance) is asked for on the turn (``turn.open_case``) and carried out by
``yorisoi.conversation`` in the same commit. Conditions read what the conversation code
looked up before the turn (``turn.context``): whether the service is open, who is on duty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from yorisoi.domain.data import ConversationData
from yorisoi.domain.people import DECLINED, MINOR_AGE_BANDS, YOUTH_AGE_BANDS
from yorisoi.states import faq_actions as faq
from yorisoi.states.turn import Turn

# Triggers fired by LINE events (see yorisoi.states.engine.FlowEngine.trigger_for). Flows
# may also declare their own triggers through quick replies, buttons and `then`.
EVENT_TRIGGERS = frozenset({"follow", "text", "sticker", "media", "location", "postback"})

# Triggers the code fires on a conversation (a responder closed the case), and those of the
# buttons that actions build from other content (the FAQ menus and answers).
INTERNAL_TRIGGERS = frozenset({"operator_closed", "faq_category", "faq_entry", "faq_helpful"})

# Messages the code sends outside any state; the default flow words each under `texts:`.
TEXTS: dict[str, str] = {
    "night_ack": "the one acknowledgement of a message that arrives outside service hours",
    "morning_reply": "the push sent at the next opening to someone who wrote at night",
    "no_one_yet": "told when nobody has taken a waiting case within the claim timeout",
    "after_crisis": "a short answer to each message after the crisis reply, until a responder takes the case",
    "after_crisis_worse": "after the crisis reply: the message shows the body giving way or danger again (119 in one line)",
    "faq_menu": "above the FAQ categories",
    "faq_entries": "above the questions of one FAQ category",
    "faq_did_you_mean": "above the closest questions when a typed question was not understood",
    "faq_miss": "when a typed question matched nothing: the categories and a person are offered",
    "faq_unavailable": "when the FAQ content could not be loaded",
}

# What `{name}` in a text can say; filled in by yorisoi.conversation.
PLACEHOLDERS = frozenset({"next_opening", "crisis_lines", "waiting_count"})

Action = Callable[["Turn"], Awaitable[None]]
Condition = Callable[["Turn"], bool]

# Intake answers: the trigger of a quick reply says which question it answers.
INTAKE_FIELDS = {"intake_age": "age_band", "intake_gender": "gender", "intake_pref": "prefecture"}
# The one-tap answer to who is venting, and the queue it goes to (答えたくない: general).
VENT_AUDIENCES = {"parent": "mothers", "young": "youth", "other": "general", DECLINED: "general"}
FEEDBACK_KEPT = 20  # answers to the after-case question kept per conversation


async def record_terms_shown(turn: Turn) -> None:
    """Remember when the terms of use were shown, so staff can see the user was told."""
    turn.data.terms_shown_at = turn.now.isoformat()


async def record_intake(turn: Turn) -> None:
    """Keep the intake answer the user just tapped (never a name; 答えたくない is kept too)."""
    field = INTAKE_FIELDS.get(turn.trigger or "")
    if field is None:
        return
    setattr(turn.data.intake, field, turn.value or DECLINED)


async def finish_intake(turn: Turn) -> None:
    """Mark the intake as done, so that it is asked once per user."""
    if turn.data.intake.done_at is None:
        turn.data.intake.done_at = turn.now.isoformat()


async def skip_intake(turn: Turn) -> None:
    """The user skipped the remaining questions: keep what was answered, ask no more."""
    turn.data.intake.skipped = True
    await finish_intake(turn)


async def open_handoff_case(turn: Turn) -> None:
    """Ask for a case: the user wants to talk with a responder (相談員と話す)."""
    turn.open_case = "handoff"


async def open_vent_case(turn: Turn) -> None:
    """Ask for a case: the first message in venting mode reaches the responders."""
    turn.open_case = "vent"


async def open_message_case(turn: Turn) -> None:
    """Ask for a case: a message for people that the bot cannot answer itself."""
    turn.open_case = "message"


async def start_venting(turn: Turn) -> None:
    """Route venting (モヤモヤを話す) by audience: the intake's age band when given (young
    people to the youth queue), else the mothers' line until the user taps who they are."""
    band = turn.data.intake.age_band
    turn.data.topic = "youth" if band in YOUTH_AGE_BANDS else "mothers"


async def record_vent_audience(turn: Turn) -> None:
    """Keep the one-tap answer to 「どなたの モヤモヤですか？」 as the case's queue."""
    topic = VENT_AUDIENCES.get(turn.value or "")
    if topic is not None:
        turn.data.topic = topic


async def record_feedback(turn: Turn) -> None:
    """Keep the answer to the optional question after a case ("how did it feel to talk?")."""
    answer = {"at": turn.now.isoformat(), "answer": turn.value or DECLINED}
    turn.data.feedback = ConversationData.keep_recent(turn.data.feedback, answer, FEEDBACK_KEPT)


def is_unblocked(turn: Turn) -> bool:
    """True for a follow event from a user who had blocked the account and came back."""
    return bool(turn.event.follow_unblocked)


def has_seen_terms(turn: Turn) -> bool:
    """True if this user was already shown the terms of use."""
    return turn.data.terms_shown_at is not None


def age_known(turn: Turn) -> bool:
    """True when the user told their age band (not 答えたくない)."""
    return turn.data.intake.age_band not in (None, DECLINED)


def intake_done(turn: Turn) -> bool:
    """True once the intake was answered or skipped (it is asked once per user)."""
    return turn.data.intake.done


def is_minor(turn: Turn) -> bool:
    """True if the user said they are under 18."""
    return turn.data.intake.age_band in MINOR_AGE_BANDS


def within_hours(turn: Turn) -> bool:
    """True inside service hours (operators/hours.yaml)."""
    return turn.context.open_now


def responder_available(turn: Turn) -> bool:
    """True if at least one responder is on duty now."""
    return turn.context.responders_on_duty > 0


ACTIONS: dict[str, Action] = {
    "faq_categories": faq.faq_categories,
    "faq_entries": faq.faq_entries,
    "faq_answer": faq.faq_answer,
    "faq_search": faq.faq_search,
    "record_faq_feedback": faq.record_faq_feedback,
    "record_terms_shown": record_terms_shown,
    "record_intake": record_intake,
    "finish_intake": finish_intake,
    "skip_intake": skip_intake,
    "open_handoff_case": open_handoff_case,
    "open_vent_case": open_vent_case,
    "open_message_case": open_message_case,
    "start_venting": start_venting,
    "record_vent_audience": record_vent_audience,
    "record_feedback": record_feedback,
}

CONDITIONS: dict[str, Condition] = {
    "is_unblocked": is_unblocked,
    "has_seen_terms": has_seen_terms,
    "intake_done": intake_done,
    "age_known": age_known,
    "is_minor": is_minor,
    "within_hours": within_hours,
    "responder_available": responder_available,
}
