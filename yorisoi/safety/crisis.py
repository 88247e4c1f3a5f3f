"""The crisis reply: what the bot sends at once when a message shows risk to life.

The words come from `states/safety/crisis.yaml` (admin-editable, validated here with file:line
problems); the crisis lines come from `faq/crisis.yaml` (`yorisoi.safety.contacts`). The reply
is three text messages, well inside LINE's five per reply:

1. `ask_safe`: a short caring message asking directly whether they are safe right now;
2. `emergency` (110 and 119), then the crisis lines open now that fit the person, 24-hour
   lines first (`CrisisContacts.crisis_lines`: a person not known to be a minor is never
   given only lines for minors) - or `no_line_open` when none is;
3. honestly whether a person reads this now (`staffed_now`, or `not_staffed` naming the next
   opening), then `not_emergency_service`.

`crisis_messages` is the one path that must work when everything else has failed, so it never
raises and never returns an empty list. When a part cannot be built it is left out or replaced
by its plainest form; when the texts themselves are unusable the reply is `FALLBACK_TEXT`.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from yorisoi.safety.contacts import Contact, CrisisContacts
from yorisoi.yamlcheck import (
    ContentInvalid,
    ContentProblem,
    Problems,
    as_text,
    check_content_file,
    load_content,
    top_mapping,
)

__all__ = [
    "DEFAULT_TEXTS",
    "FALLBACK_TEXT",
    "MAX_MESSAGES",
    "MAX_TEXT",
    "CrisisTexts",
    "CrisisTextsInvalid",
    "check_crisis_texts",
    "check_in_message",
    "crisis_messages",
    "fallback_messages",
    "load_crisis_texts",
    "load_crisis_texts_text",
]

log = structlog.get_logger("yorisoi.safety.crisis")

DEFAULT_TEXTS = Path(__file__).resolve().parents[2] / "states" / "safety" / "crisis.yaml"

# LINE Messaging API limits: five message objects per reply or push, 5,000 characters per text
# message (https://developers.line.biz/en/reference/messaging-api/#text-message).
MAX_MESSAGES = 5
MAX_TEXT = 5000

# The last resort, used only when the crisis texts cannot be read at all (the file is missing,
# broken by an edit, or the content store is down). Every other word of the reply lives in
# states/safety/crisis.yaml; this one stays in code because the reply to someone in danger
# must not depend on content loading, and 110 and 119 - Japan's emergency numbers, fixed by
# law, free and answered around the clock - are the only numbers that cannot go stale. Crisis
# line numbers change and must be verified, so none is written here.
FALLBACK_TEXT = (
    "メッセージを受け取りました。あなたのことが心配です。\n"
    "いのちの危険があるとき、いま安全でないときは、すぐに電話してください。\n"
    "・救急車 119\n"
    "・警察 110\n"
    "どちらも24時間つながります。このLINEは緊急通報の窓口ではありません。"
)

# (key, placeholders it may use, placeholders it must use)
_TEXT_KEYS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("ask_safe", frozenset(), frozenset()),
    ("emergency", frozenset(), frozenset()),
    ("lines_intro", frozenset(), frozenset()),
    ("line", frozenset({"name", "number", "hours"}), frozenset({"name", "number"})),
    ("no_line_open", frozenset(), frozenset()),
    ("staffed_now", frozenset(), frozenset()),
    ("not_staffed", frozenset({"next_opening"}), frozenset({"next_opening"})),
    ("not_staffed_unknown", frozenset(), frozenset()),
    ("not_emergency_service", frozenset(), frozenset()),
    ("check_in", frozenset(), frozenset()),
)
TEXT_KEYS = tuple(key for key, _, _ in _TEXT_KEYS)
EMERGENCY_NUMBERS = ("110", "119")


class CrisisTextsInvalid(ContentInvalid):
    """Raised when the crisis texts file fails validation; carries every problem found."""


@dataclass(frozen=True)
class CrisisTexts:
    """The wording of the crisis reply and the check-in line, as validated."""

    ask_safe: str
    emergency: str
    lines_intro: str
    line: str
    no_line_open: str
    staffed_now: str
    not_staffed: str
    not_staffed_unknown: str
    not_emergency_service: str
    check_in: str


# --- what the bot sends -------------------------------------------------------------------------


def crisis_messages(
    contacts: CrisisContacts | None,
    texts: CrisisTexts | None,
    *,
    now: datetime,
    minor: bool | None,
    violence_at_home: bool,
    staffed_now: bool,
    next_opening_text: str | None,
) -> list[dict[str, Any]]:
    """Return the crisis reply as LINE message objects; never raises, never empty.

    `contacts` or `texts` may be None when their file failed to load. `minor` is None when
    the age is unknown. `staffed_now` says whether a responder will read the conversation now;
    when not, `next_opening_text` (e.g. from `ServiceHours.describe_next_opening`) says when.
    """
    try:
        messages = _compose(
            contacts,
            texts,
            now=now,
            minor=minor if minor in (True, False) else None,
            violence_at_home=violence_at_home is True,
            staffed_now=staffed_now is True,
            next_opening_text=next_opening_text,
        )
        if _well_formed(messages):
            return messages
        log.error("crisis.reply_malformed")
    except Exception:
        log.exception("crisis.reply_failed")
    return fallback_messages()


def fallback_messages() -> list[dict[str, Any]]:
    """Return the built-in last-resort crisis reply: 110 and 119 only."""
    return [{"type": "text", "text": FALLBACK_TEXT}]


def check_in_message(texts: CrisisTexts | None) -> dict[str, Any] | None:
    """Return the gentle check-in line for a `concern` message, or None without usable texts."""
    try:
        text = texts.check_in.strip() if isinstance(texts, CrisisTexts) else ""
    except Exception:
        log.exception("crisis.check_in_failed")
        return None
    if not text or len(text) > MAX_TEXT:
        return None
    return {"type": "text", "text": text}


def _compose(
    contacts: CrisisContacts | None,
    texts: CrisisTexts | None,
    *,
    now: datetime,
    minor: bool | None,
    violence_at_home: bool,
    staffed_now: bool,
    next_opening_text: str | None,
) -> list[dict[str, Any]]:
    """Build the three messages; raises when the texts are unusable."""
    if not isinstance(texts, CrisisTexts):
        raise TypeError(f"no usable crisis texts ({type(texts).__name__})")
    lines = _open_lines(contacts, now, minor=minor, violence_at_home=violence_at_home)
    listed = _format_lines(texts, lines)
    if listed:
        help_now = f"{texts.emergency}\n\n{texts.lines_intro}\n" + "\n".join(listed)
    else:
        help_now = f"{texts.emergency}\n\n{texts.no_line_open}"
    status = _status(texts, staffed_now=staffed_now, next_opening_text=next_opening_text)
    bodies = [texts.ask_safe, help_now, f"{status}\n\n{texts.not_emergency_service}"]
    return [{"type": "text", "text": _clip(body)} for body in bodies]


def _open_lines(
    contacts: object,
    now: datetime,
    *,
    minor: bool | None,
    violence_at_home: bool,
) -> list[Contact]:
    """Return the fitting lines open now; none when the contacts are unusable."""
    if not isinstance(contacts, CrisisContacts):
        if contacts is not None:
            log.error("crisis.contacts_unusable", type=type(contacts).__name__)
        return []
    try:
        return contacts.crisis_lines(now, minor=minor, violence_at_home=violence_at_home)
    except Exception:
        log.exception("crisis.open_now_failed")
        # The 24-hour lines are open whatever the time; they are still worth naming.
        try:
            return contacts.crisis_lines(_NO_TIME, minor=minor, violence_at_home=violence_at_home)
        except Exception:
            log.exception("crisis.open_now_failed_again")
            return []


# A naive datetime: `open_now` then keeps only the 24-hour lines (their hours need no clock).
_NO_TIME = datetime(2000, 1, 1)


def _format_lines(texts: CrisisTexts, lines: Sequence[Contact]) -> list[str]:
    """Return one formatted line per contact, skipping any that cannot be formatted."""
    formatted: list[str] = []
    for contact in lines:
        try:
            formatted.append(
                texts.line.format(
                    name=contact.name, number=contact.number, hours=contact.hours_text
                )
            )
        except Exception:
            log.exception("crisis.line_format_failed", contact=getattr(contact, "id", "?"))
    return formatted


def _status(texts: CrisisTexts, *, staffed_now: bool, next_opening_text: str | None) -> str:
    """Return the honest sentence on whether a person reads this now, or when."""
    if staffed_now:
        return texts.staffed_now
    if isinstance(next_opening_text, str) and next_opening_text.strip():
        try:
            return texts.not_staffed.format(next_opening=next_opening_text.strip())
        except Exception:
            log.exception("crisis.not_staffed_format_failed")
    return texts.not_staffed_unknown


def _clip(text: str) -> str:
    """Return `text` cut to LINE's limit for one text message."""
    if len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 1] + "…"


def _well_formed(messages: Any) -> bool:
    """Return whether `messages` is a non-empty reply LINE accepts: 1-5 non-blank texts."""
    return (
        isinstance(messages, list)
        and 1 <= len(messages) <= MAX_MESSAGES
        and all(
            isinstance(m, dict)
            and m.get("type") == "text"
            and isinstance(m.get("text"), str)
            and m["text"].strip()
            and len(m["text"]) <= MAX_TEXT
            for m in messages
        )
    )


# --- reading and validating states/safety/crisis.yaml -------------------------------------------


def _placeholders(text: str) -> set[str] | str:
    """Return the placeholder names in `text`, or why it is not a valid template."""
    names: set[str] = set()
    try:
        for _, name, spec, conversion in string.Formatter().parse(text):
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                return f"{{{name}}} is not a placeholder; write names such as {{number}}"
            names.add(name)
    except ValueError as exc:
        return f"braces do not match ({exc}); write {{{{ or }}}} for a brace itself"
    return names


def _texts(report: Problems, data: Any) -> CrisisTexts | None:
    """Return the texts described by `data`, or None after reporting why they are invalid."""
    kind = ("a crisis texts file", "the crisis texts", "the crisis texts need")
    raw = top_mapping(report, data, kind, TEXT_KEYS, TEXT_KEYS)
    if raw is None:
        return None
    found: dict[str, str] = {}
    for key, allowed, required in _TEXT_KEYS:
        if key not in raw:
            continue
        line = raw.key_lines[key]
        value = as_text(report, raw[key], line, key)
        if value is None:
            continue
        value = value.strip()
        if not value:
            report.add(line, f"{key} is blank")
            continue
        if len(value) > MAX_TEXT:
            report.add(line, f"{key} is {len(value)} characters; LINE allows at most {MAX_TEXT}")
            continue
        names = _placeholders(value)
        if isinstance(names, str):
            report.add(line, f"{key}: {names}")
            continue
        unknown = names - allowed
        missing = required - names
        if unknown:
            known = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
            report.add(
                line,
                f"{key} uses unknown placeholder(s) {', '.join(f'{{{n}}}' for n in sorted(unknown))} "
                f"(allowed here: {known})",
            )
            continue
        if missing:
            report.add(line, f"{key} must contain {', '.join(f'{{{n}}}' for n in sorted(missing))}")
            continue
        if key == "emergency":
            absent = [number for number in EMERGENCY_NUMBERS if number not in value]
            if absent:
                report.add(line, f"emergency must name {' and '.join(absent)} (110 and 119 both)")
                continue
        found[key] = value
    if report.found or set(found) != set(TEXT_KEYS):
        return None
    return CrisisTexts(**{f.name: found[f.name] for f in fields(CrisisTexts)})


def load_crisis_texts_text(text: str, file: str) -> CrisisTexts:
    """Validate the YAML `text` of `file` and return what it describes."""
    return load_content((text, file), _texts, CrisisTextsInvalid)


def load_crisis_texts(path: Path = DEFAULT_TEXTS) -> CrisisTexts:
    """Read and validate the file at `path`."""
    return load_content(path, _texts, CrisisTextsInvalid)


def check_crisis_texts(path: Path = DEFAULT_TEXTS) -> list[ContentProblem]:
    """Return every problem of the file at `path`; empty when it is valid."""
    return check_content_file(path, _texts)
