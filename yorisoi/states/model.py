"""The flow content model: what a validated `states/<name>.yaml` file becomes.

Everything here is a frozen dataclass built by `yorisoi.states.loader`; once a Flow exists it has
passed validation, so the engine can trust every state, trigger and name in it. Each part keeps
the 1-based line it came from, so later messages (and the admin pages) can point back at the
YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from yorisoi.yamlcheck import ContentInvalid

ANY_STATE = "*"
"""The `source` that means "from every state"; a Transition then has `sources == ("*",)`."""


@dataclass(frozen=True, slots=True)
class Choice:
    """A quick reply or a button: the label the user taps and the trigger it fires."""

    label: str
    trigger: str
    line: int
    value: str | None = None  # passed to the actions, e.g. the age band an intake answer names


@dataclass(frozen=True, slots=True)
class Say:
    """One message the bot sends on entering a state."""

    text: str
    quick_replies: tuple[Choice, ...] = ()
    buttons: tuple[Choice, ...] = ()
    # Filled in by the loader whenever there are buttons (LINE requires it for templates),
    # so renderers never have to invent one; None for a plain text message.
    alt_text: str | None = None
    line: int = 0

    @property
    def choices(self) -> tuple[Choice, ...]:
        """Return the buttons and then the quick replies of this message."""
        return self.buttons + self.quick_replies


@dataclass(frozen=True, slots=True)
class State:
    """A step of the conversation: what the bot says and which actions run on entering it."""

    name: str
    say: tuple[Say, ...] = ()
    actions: tuple[str, ...] = ()
    description: str = ""
    line: int = 0
    then: str | None = None  # a trigger fired at once after entering (a decision state)

    @property
    def choices(self) -> tuple[Choice, ...]:
        """Return every quick reply and button shown on entering this state, in order."""
        return tuple(choice for message in self.say for choice in message.choices)


@dataclass(frozen=True, slots=True)
class Transition:
    """A move to `dest` when `trigger` fires in one of `sources` and the conditions allow it."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    line: int = 0

    @property
    def from_any_state(self) -> bool:
        """Return True if this transition leaves every state (`source: "*"`)."""
        return self.sources == (ANY_STATE,)

    def leaves(self, state: str) -> bool:
        """Return True if this transition can fire while in `state`."""
        return self.from_any_state or state in self.sources


@dataclass(frozen=True, slots=True)
class Flow:
    """A whole conversation flow, as loaded from one YAML file."""

    name: str
    initial: str
    fallback: str
    # A read-only mapping in file order. Left out of the hash (a mapping proxy cannot be
    # hashed) so a Flow can still key a cache, e.g. one state machine per flow version.
    states: Mapping[str, State] = field(hash=False)
    transitions: tuple[Transition, ...]
    description: str
    file: str
    text: str
    sha256: str
    # Named messages the code sends outside any state (the night acknowledgement, the
    # morning reply, ...): worded here by admins, chosen by the code. Left out of the hash
    # like `states`.
    texts: Mapping[str, Say] = field(hash=False, default_factory=dict)

    def choices(self, state: str) -> dict[str, Choice]:
        """Return label -> choice for the quick replies and buttons shown on entering `state`."""
        return {choice.label: choice for choice in self.states[state].choices}

    def declared_triggers(self) -> frozenset[str]:
        """Return the triggers named by a quick reply, a button or a state's `then`."""
        return frozenset(
            choice.trigger for state in self.states.values() for choice in state.choices
        ) | frozenset(state.then for state in self.states.values() if state.then)


class FlowInvalid(ContentInvalid):
    """Raised when a flow fails validation; carries every problem found, not just the first."""
