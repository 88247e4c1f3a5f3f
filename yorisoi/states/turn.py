"""What one event does to one conversation: ``Turn``, and what was looked up for it.

The engine fills a ``Turn``; the flow's actions and conditions (``registry``, ``faq_actions``)
read and change it; the caller commits it. Kept apart from the engine so that the actions can
name it without importing the engine that imports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yorisoi.domain.data import ConversationData
from yorisoi.line.events import LineEvent
from yorisoi.states.model import Say
from yorisoi.store.records import Job


@dataclass(frozen=True)
class TurnContext:
    """What the conversation code looked up before the turn, for conditions and texts."""

    open_now: bool = True
    responders_on_duty: int = 0
    on_duty: tuple[Any, ...] = ()  # the staff members on duty (StaffMember)
    placeholders: dict[str, str] = field(default_factory=dict)
    faq: Any = None  # the FaqLibrary in force, for the FAQ actions
    # Where FAQ matching runs: the app's screening thread (ContentLibrary.screening), so the
    # embedding model is only ever used there and matching never holds up the event loop.
    # None matches on the calling thread.
    matching: Executor | None = None


@dataclass
class Turn:
    """What one event does to one conversation; filled by the engine, committed by the caller."""

    event: LineEvent
    now: datetime
    state: str
    data: ConversationData
    context: TurnContext = field(default_factory=TurnContext)
    messages: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)
    trigger: str | None = None
    value: str | None = None  # the value of the tapped choice, if it has one
    open_case: str | None = None  # set by an action: open a case of this mode
    texts: Mapping[str, Say] = field(default_factory=dict)  # the flow's named texts
