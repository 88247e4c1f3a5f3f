"""Tests for the crisis reply: its texts file, what it says, and that it always says something."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from yorisoi.safety.contacts import DEFAULT_CONTACTS, Contact, CrisisContacts, load_contacts
from yorisoi.safety.crisis import (
    DEFAULT_TEXTS,
    FALLBACK_TEXT,
    MAX_MESSAGES,
    MAX_TEXT,
    CrisisTexts,
    CrisisTextsInvalid,
    check_crisis_texts,
    check_in_message,
    crisis_messages,
    load_crisis_texts,
    load_crisis_texts_text,
)

FILE = "states/safety/crisis.yaml"
TOKYO = ZoneInfo("Asia/Tokyo")
SUNDAY_3AM = datetime(2026, 11, 22, 3, 0, tzinfo=TOKYO)
NEXT_OPENING = "あした（11月23日 月曜日）の 10時"


@pytest.fixture(scope="module")
def texts() -> CrisisTexts:
    """The shipped crisis texts."""
    return load_crisis_texts(DEFAULT_TEXTS)


@pytest.fixture(scope="module")
def contacts() -> CrisisContacts:
    """The shipped crisis contacts."""
    return load_contacts(DEFAULT_CONTACTS)


def reply(
    contacts: Any,
    texts: Any,
    *,
    now: Any = SUNDAY_3AM,
    minor: Any = None,
    violence_at_home: Any = False,
    staffed_now: Any = False,
    next_opening_text: Any = NEXT_OPENING,
) -> list[dict[str, Any]]:
    """Return the crisis reply for these inputs."""
    return crisis_messages(
        contacts,
        texts,
        now=now,
        minor=minor,
        violence_at_home=violence_at_home,
        staffed_now=staffed_now,
        next_opening_text=next_opening_text,
    )


def all_text(messages: list[dict[str, Any]]) -> str:
    """Return every text of a reply, joined."""
    return "\n".join(m["text"] for m in messages)


def problems_of(text: str) -> list[str]:
    """Return the problems of crisis texts `text` as `yorisoi check` prints them."""
    with pytest.raises(CrisisTextsInvalid) as caught:
        load_crisis_texts_text(text, FILE)
    return [str(problem) for problem in caught.value.problems]


def shipped_without(key: str) -> str:
    """Return the shipped texts file with the top-level `key` and its block removed."""
    lines = DEFAULT_TEXTS.read_text(encoding="utf-8").splitlines(keepends=True)
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and (line.startswith(" ") or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    return "".join(kept)


# --- the texts file -----------------------------------------------------------------------------


def test_the_shipped_texts_are_valid() -> None:
    assert check_crisis_texts(DEFAULT_TEXTS) == []


def test_a_missing_text_is_named_with_the_line_of_the_mapping() -> None:
    problems = problems_of(shipped_without("not_emergency_service"))
    assert len(problems) == 1
    assert problems[0].endswith(
        "the crisis texts is missing the required key 'not_emergency_service'"
    )
    assert problems[0].startswith(f"{FILE}:")


def test_mistakes_in_texts_are_named_with_their_line() -> None:
    text = DEFAULT_TEXTS.read_text(encoding="utf-8")
    text = text.replace("  ・救急車 119\n", "  ・救急車\n")
    text = text.replace('line: "・{name}　{number}（{hours}）"', 'line: "・{name}（{when}）"')
    text = text.replace("{next_opening}から", "明日")
    text += "greeting: こんにちは\n"
    numbered = {n: line for n, line in enumerate(text.splitlines(), 1)}
    at = {
        key: next(n for n, line in numbered.items() if line.startswith(key))
        for key in ("emergency:", "line:", "not_staffed:", "greeting:")
    }
    assert problems_of(text) == [
        f"{FILE}:{at['emergency:']}: emergency must name 119 (110 and 119 both)",
        f"{FILE}:{at['line:']}: line uses unknown placeholder(s) {{when}} (allowed here: "
        "{hours}, {name}, {number})",
        f"{FILE}:{at['not_staffed:']}: not_staffed must contain {{next_opening}}",
        f"{FILE}:{at['greeting:']}: unknown key 'greeting' in the crisis texts (allowed: "
        "ask_safe, emergency, lines_intro, line, no_line_open, staffed_now, not_staffed, "
        "not_staffed_unknown, not_emergency_service, check_in)",
    ]


def test_blank_texts_and_broken_braces_are_refused() -> None:
    text = DEFAULT_TEXTS.read_text(encoding="utf-8")
    text = text.replace('line: "・{name}　{number}（{hours}）"', 'line: "・{name {number}"')
    text = text.replace(
        "check_in: |-\n  話してくれて、ありがとう。いま、どんな気持ちでいるか、よかったらもう少し聞かせてください。",
        'check_in: "  "',
    )
    problems = problems_of(text)
    assert any(
        p.endswith(
            "line: braces do not match (unexpected '{' in field name); write {{ or }} for a brace itself"
        )
        for p in problems
    )
    assert any(p.endswith("check_in is blank") for p in problems)


# --- what the reply says ------------------------------------------------------------------------


def test_the_reply_asks_about_safety_first_then_gives_110_119_and_lines(
    contacts: CrisisContacts, texts: CrisisTexts
) -> None:
    messages = reply(contacts, texts, minor=True)
    assert 1 <= len(messages) <= MAX_MESSAGES
    assert messages[0]["text"] == texts.ask_safe
    assert "110" in messages[1]["text"] and "119" in messages[1]["text"]
    assert texts.not_emergency_service in messages[-1]["text"]
    for message in messages:
        assert message["type"] == "text" and 0 < len(message["text"]) <= MAX_TEXT


def test_a_minor_gets_the_childrens_sos_line_first(
    contacts: CrisisContacts, texts: CrisisTexts
) -> None:
    help_now = reply(contacts, texts, minor=True)[1]["text"]
    listed = help_now.split(texts.lines_intro, 1)[1]
    first = listed.strip().splitlines()[0]
    assert "24時間子供SOSダイヤル" in first and "0120-0-78310" in first


def test_violence_at_home_gets_the_dv_line(contacts: CrisisContacts, texts: CrisisTexts) -> None:
    assert "0120-279-889" in all_text(reply(contacts, texts, minor=False, violence_at_home=True))
    assert "0120-279-889" not in all_text(reply(contacts, texts, minor=False))


def test_unverified_contacts_never_appear(contacts: CrisisContacts, texts: CrisisTexts) -> None:
    hidden = [c.number for c in contacts.contacts if not c.verified]
    assert hidden, "the shipped file has unverified contacts to hide"
    for hour in range(24):
        now = datetime(2026, 12, 10, hour, 0, tzinfo=TOKYO)
        for minor, violence in itertools.product((True, False, None), (True, False)):
            text = all_text(reply(contacts, texts, now=now, minor=minor, violence_at_home=violence))
            # 110/119 appear in every reply; a hidden number must not appear as a listed line.
            listed = text.split(texts.lines_intro, 1)[-1] if texts.lines_intro in text else ""
            for number in hidden:
                assert f"　{number}（" not in listed


def test_with_no_fitting_line_open_the_reply_says_so(
    contacts: CrisisContacts, texts: CrisisTexts
) -> None:
    # The shipped lines without those for everyone: at 3 a.m. on an ordinary Sunday the lines
    # left are for minors and violence at home only, none of them for an adult.
    no_adult_line = without_lines_for_everyone(contacts)
    for minor in (False, None):
        text = reply(no_adult_line, texts, minor=minor)[1]["text"]
        assert texts.no_line_open in text and "110" in text and "119" in text, minor
        assert "0120-0-78310" not in text, minor  # never a children's line alone


# --- lines by audience: adults at night ---------------------------------------------------------


def without_lines_for_everyone(contacts: CrisisContacts) -> CrisisContacts:
    """Return the contacts with every line for everyone left out."""
    kept = tuple(c for c in contacts.contacts if "everyone" not in c.audience)
    return dataclasses.replace(contacts, contacts=kept)


def listed_lines(contacts: CrisisContacts, texts: CrisisTexts, text: str) -> list[Contact]:
    """Return the contacts named in the lines part of a crisis reply's second message."""
    if texts.lines_intro not in text:
        return []
    listed = text.split(texts.lines_intro, 1)[1].strip().splitlines()
    found = []
    for line in listed:
        matches = [c for c in contacts.shown if f"　{c.number}（" in line]
        assert len(matches) == 1, line
        found.append(matches[0])
    return found


def for_minors_only(contact: Contact) -> bool:
    return contact.audience == frozenset({"minors"})


NIGHTS = [
    datetime(2026, 12, day, hour, minute, tzinfo=TOKYO)
    for day in range(7, 14)  # a week: Monday 7 December to Sunday 13 December 2026
    for hour, minute in ((21, 30), (23, 0), (1, 0), (3, 0), (5, 30))
]


@pytest.mark.parametrize("minor", [False, None], ids=["adult", "age_unknown"])
def test_an_adult_at_night_gets_a_verified_adult_24_hour_line_and_110_119(
    contacts: CrisisContacts, texts: CrisisTexts, minor: bool | None
) -> None:
    # Issue 14, part 6: a mother or another adult at night was shown only 24時間子供SOSダイヤル.
    for now in NIGHTS:
        help_now = reply(contacts, texts, now=now, minor=minor)[1]["text"]
        assert "119" in help_now and "110" in help_now, now
        lines = listed_lines(contacts, texts, help_now)
        adult_24h = [c for c in lines if c.verified and c.always and "everyone" in c.audience]
        assert adult_24h, (now, help_now)
        assert lines[0] in adult_24h, now  # the adult line comes first
        assert not all(for_minors_only(c) for c in lines), now
        if minor is False:
            assert not any(for_minors_only(c) for c in lines), now


def test_the_shipped_adult_24_hour_line_is_yorisoi_hotline(
    contacts: CrisisContacts, texts: CrisisTexts
) -> None:
    help_now = reply(contacts, texts, minor=False)[1]["text"]
    assert "よりそいホットライン　0120-279-338（24時間" in help_now


@pytest.mark.parametrize("violence_at_home", [False, True])
def test_a_minor_at_night_still_gets_the_childrens_line_first(
    contacts: CrisisContacts, texts: CrisisTexts, violence_at_home: bool
) -> None:
    for source in (contacts, without_lines_for_everyone(contacts)):
        for now in NIGHTS:
            sent = reply(source, texts, now=now, minor=True, violence_at_home=violence_at_home)
            lines = listed_lines(source, texts, sent[1]["text"])
            assert lines and lines[0].id == "kodomo_sos", now


def test_age_unknown_gets_the_childrens_line_only_beside_another(
    contacts: CrisisContacts, texts: CrisisTexts
) -> None:
    # With a line for everyone open, the children's line is still named, after it.
    ids = [c.id for c in listed_lines(contacts, texts, reply(contacts, texts)[1]["text"])]
    assert ids[0] == "yorisoi_hotline" and "kodomo_sos" in ids
    # With violence at home, the DV line is for them: the children's line may stand beside it.
    no_adult_line = without_lines_for_everyone(contacts)
    text = reply(no_adult_line, texts, violence_at_home=True)[1]["text"]
    ids = [c.id for c in listed_lines(no_adult_line, texts, text)]
    assert ids[0] == "dv_soudan_plus" and "kodomo_sos" in ids


def test_without_usable_hours_an_adult_still_gets_the_24_hour_adult_line(
    contacts: CrisisContacts, texts: CrisisTexts
) -> None:
    # A naive moment: only the 24-hour lines can be judged, and they are still named.
    help_now = reply(contacts, texts, now=datetime(2026, 12, 8, 3, 0), minor=None)[1]["text"]
    assert "0120-279-338" in help_now


def test_the_reply_is_honest_about_who_reads_it(
    contacts: CrisisContacts, texts: CrisisTexts
) -> None:
    staffed = reply(contacts, texts, staffed_now=True)[-1]["text"]
    assert texts.staffed_now in staffed
    night = reply(contacts, texts, staffed_now=False)[-1]["text"]
    assert NEXT_OPENING in night and texts.staffed_now not in night
    unknown = reply(contacts, texts, staffed_now=False, next_opening_text=None)[-1]["text"]
    assert texts.not_staffed_unknown in unknown


def test_the_check_in_line(texts: CrisisTexts) -> None:
    assert check_in_message(texts) == {"type": "text", "text": texts.check_in}
    assert check_in_message(None) is None
    assert check_in_message("nonsense") is None  # type: ignore[arg-type]


# --- never raises, never empty ------------------------------------------------------------------


class Exploding:
    """An object that fails whatever is asked of it."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"exploded on {name}")


def test_fallback_names_110_and_119() -> None:
    assert "110" in FALLBACK_TEXT and "119" in FALLBACK_TEXT and len(FALLBACK_TEXT) <= MAX_TEXT


def test_without_texts_the_reply_is_the_built_in_fallback(contacts: CrisisContacts) -> None:
    for texts in (None, 42, "text", Exploding()):
        assert reply(contacts, texts) == [{"type": "text", "text": FALLBACK_TEXT}]


def test_without_contacts_the_reply_still_names_110_and_119(texts: CrisisTexts) -> None:
    for contacts in (None, "contacts", Exploding()):
        messages = reply(contacts, texts, minor=True)
        assert messages[0]["text"] == texts.ask_safe
        assert texts.no_line_open in messages[1]["text"]


def test_the_reply_never_raises_and_is_never_empty(
    contacts: CrisisContacts, texts: CrisisTexts, tmp_path: Path
) -> None:
    broken_texts = [
        None,
        texts,
        dataclasses.replace(texts, line="・{oops}"),
        dataclasses.replace(texts, not_staffed="{next_opening"),
        dataclasses.replace(texts, ask_safe=""),
        dataclasses.replace(texts, emergency=None),  # type: ignore[arg-type]
        dataclasses.replace(texts, lines_intro="x" * (MAX_TEXT + 10)),
        Exploding(),
    ]
    empty = CrisisContacts(timezone=TOKYO, contacts=())
    broken_contacts = [contacts, empty, None, [], Exploding(), "faq/crisis.yaml"]
    moments = [
        SUNDAY_3AM,
        datetime(2026, 11, 22, 3, 0),
        datetime(2026, 11, 23, tzinfo=UTC),
        None,
        "now",
    ]
    for combination in itertools.product(
        broken_contacts,
        broken_texts,
        moments,
        (True, False, None, "yes"),
        (True, False, None),
        (True, False, None),
        (NEXT_OPENING, None, "", 7, "{x}"),
    ):
        c, t, now, minor, violence, staffed, opening = combination
        messages = reply(
            c,
            t,
            now=now,
            minor=minor,
            violence_at_home=violence,
            staffed_now=staffed,
            next_opening_text=opening,
        )
        assert 1 <= len(messages) <= MAX_MESSAGES, combination
        for message in messages:
            assert message["type"] == "text", combination
            assert message["text"].strip() and len(message["text"]) <= MAX_TEXT, combination
        assert "110" in all_text(messages) and "119" in all_text(messages), combination
