"""The flow engine: one ``transitions`` AsyncMachine per flow version, one turn per event.

The machine is built once per validated flow. For each event a throw-away model starts
at the user's stored state and the machine's event object is fired on it directly
(attaching every user's model to the machine does not scale: FACTS.md). Entering a state
runs a single callback that says the state's texts and then runs its actions in order;
the library would run several callbacks of one stage concurrently.

Nothing here writes to the store or calls LINE: a ``Turn`` only collects what should
happen (``yorisoi.states.turn``), and the bot's turn (``yorisoi.turns.bot``) commits it.
"""

from __future__ import annotations

import asyncio
import unicodedata
from functools import partial
from typing import Any, cast
from urllib.parse import unquote

from transitions.core import EventData
from transitions.extensions.asyncio import AsyncMachine

from yorisoi.line.messages import POSTBACK_PREFIX, VALUE_SEPARATOR, render_say
from yorisoi.states.model import Flow, State
from yorisoi.states.parts import MAX_THEN_HOPS
from yorisoi.states.registry import ACTIONS, CONDITIONS
from yorisoi.states.turn import Turn, TurnContext


class _Model:
    """The object ``transitions`` moves between states; it carries the turn."""

    def __init__(self, turn: Turn) -> None:
        self.state = turn.state
        self.yorisoi_turn = turn


class FlowEngine:
    """Runs events through one validated flow."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._machine = AsyncMachine(
            model=None,
            states=list(flow.states),
            initial=flow.initial,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=True,
            model_attribute="state",
        )
        # What a state says never changes within a flow version: render it once.
        self._says = {
            state.name: tuple(render_say(say) for say in state.say)
            for state in flow.states.values()
        }
        # States whose texts have {placeholders} are rendered again on every entry.
        self._templated = frozenset(
            state.name
            for state in flow.states.values()
            if any("{" in say.text for say in state.say)
        )
        self._choices = {
            name: {_fold(label): choice for label, choice in flow.choices(name).items()}
            for name in flow.states
        }
        # What a tapped button said, for the thread staff read (a postback carries only data).
        self._labels = {
            (choice.trigger, choice.value): choice.label
            for say in [*flow.texts.values(), *(s for st in flow.states.values() for s in st.say)]
            for choice in say.choices
        }
        for state in flow.states.values():
            self._machine.get_state(state.name).add_callback("enter", partial(self._enter, state))
        for t in flow.transitions:
            sources: str | list[Any] = "*" if t.sources == ("*",) else list(t.sources)
            self._machine.add_transition(
                t.trigger,
                sources,
                t.dest,
                conditions=[partial(_check, CONDITIONS[name]) for name in t.conditions],
                unless=[partial(_check, CONDITIONS[name]) for name in t.unless],
            )

    def trigger_for(self, turn: Turn) -> tuple[str, str | None]:
        """Return the trigger an event fires in the turn's current state, and its value."""
        event = turn.event
        if event.type == "follow":
            return "follow", None
        if event.type == "postback":
            return parse_postback(event.postback_data or "")
        if event.type == "message":
            if event.message_type == "text":
                chosen = self._choices.get(turn.state, {}).get(_fold(event.text or ""))
                return (chosen.trigger, chosen.value) if chosen else ("text", None)
            if event.message_type in ("image", "video", "audio", "file"):
                return "media", None
            return event.message_type or "text", None
        return event.type, None

    async def run(self, turn: Turn, trigger: str | None = None) -> Turn:
        """Fire the event's trigger; if nothing can fire, enter the flow's fallback state.

        A state with ``then`` fires that trigger at once after it is entered, so a flow
        can decide (in hours? someone on duty?) without waiting for the user.
        """
        if turn.state not in self.flow.states:
            # The flow changed under this conversation: resume where any user can.
            turn.state = self.flow.fallback
        turn.texts = self.flow.texts
        if trigger is None:
            trigger, turn.value = self.trigger_for(turn)
        turn.trigger = trigger
        fired = await self._fire(turn, trigger)
        if not fired:
            turn.state = self.flow.fallback
            await self._enter(self.flow.states[self.flow.fallback], None, turn=turn)
        for _ in range(MAX_THEN_HOPS):
            then = self.flow.states[turn.state].then
            if then is None:
                break
            turn.trigger, turn.value = then, None
            if not await self._fire(turn, then):
                # Every condition failed: the flow offers no way on, so do not stay silent.
                turn.state = self.flow.fallback
                await self._enter(self.flow.states[self.flow.fallback], None, turn=turn)
                break
        return turn

    async def _fire(self, turn: Turn, trigger: str) -> bool:
        event = self._machine.events.get(trigger)
        if event is None:
            return False
        # The model is not attached with add_model: binding convenience methods to it
        # cost about half of a turn under load, and firing the machine's own event
        # object needs only the model's ``state`` attribute (FACTS.md, transitions).
        model = _Model(turn)
        fired = bool(await event.trigger(model))
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # transitions turns a cancellation inside a callback into "did not fire";
            # committing the fallback state would be wrong: the turn was interrupted.
            raise asyncio.CancelledError
        turn.state = model.state
        return fired

    def label_for(self, trigger: str, value: str | None) -> str | None:
        """Return the label of the flow's button that fires ``trigger`` (with ``value``)."""
        return self._labels.get((trigger, value))

    def text(self, name: str, context: TurnContext) -> dict[str, Any]:
        """Return one of the flow's named texts as a LINE message, placeholders filled."""
        return render_say(self.flow.texts[name], context.placeholders)

    async def _enter(
        self, state: State, event_data: EventData | None, *, turn: Turn | None = None
    ) -> None:
        """Say the state's texts, then run its actions in order."""
        if turn is None:
            assert event_data is not None
            turn = cast(_Model, event_data.model).yorisoi_turn
        turn.entered.append(state.name)
        turn.state = state.name
        if state.name in self._templated:
            turn.messages.extend(render_say(say, turn.context.placeholders) for say in state.say)
        else:
            turn.messages.extend(self._says[state.name])
        for name in state.actions:
            await ACTIONS[name](turn)


def parse_postback(data: str) -> tuple[str, str | None]:
    """Return the trigger and value of our postback data (``yorisoi:t=<trigger>&v=<value>``)."""
    if not data.startswith(POSTBACK_PREFIX):
        return "postback", None
    trigger, _, value = data[len(POSTBACK_PREFIX) :].partition(VALUE_SEPARATOR)
    return trigger, (unquote(value) if value else None)


def _check(condition: Any, event_data: EventData) -> bool:
    return bool(condition(cast(_Model, event_data.model).yorisoi_turn))


def _fold(text: str) -> str:
    """Fold a typed text for comparison with button labels (width, case, spaces)."""
    return unicodedata.normalize("NFKC", text).strip().casefold()
