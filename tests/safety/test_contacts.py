"""Tests for crisis contacts: the shipped file, file:line problems, and which lines are open."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from yorisoi.operators.hours import is_public_holiday
from yorisoi.safety.contacts import (
    DEFAULT_CONTACTS,
    ContactsInvalid,
    CrisisContacts,
    check_crisis,
    load_contacts,
    load_contacts_text,
)

FILE = "faq/crisis.yaml"
TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(*args: int) -> datetime:
    """Return a moment on the wall clock in Tokyo."""
    return datetime(*args, tzinfo=TOKYO)  # type: ignore[misc]


def contact(
    id: str,
    hours: str,
    *,
    audience: str = "[everyone]",
    verified: str = "true",
    number: str = '"0120-000-000"',
) -> str:
    """Return one contact entry of a crisis contacts file, indented for the `contacts` list."""
    return (
        f"  - id: {id}\n"
        f"    name: {id} line\n"
        f"    number: {number}\n"
        f"    audience: {audience}\n"
        f"    hours: {hours}\n"
        "    hours_text: some hours\n"
        f"    verified: {verified}\n"
        "    checked: 2026-11-23\n"
        f"    source: https://example.org/{id}\n"
    )


def crisis_file(*contacts: str) -> str:
    """Return a crisis contacts file with these contacts."""
    return "timezone: Asia/Tokyo\ncontacts:\n" + "".join(contacts)


ALWAYS = "{always: true}"


def problems_of(text: str) -> list[str]:
    """Return the problems of contacts `text` as `yorisoi check` prints them."""
    with pytest.raises(ContactsInvalid) as caught:
        load_contacts_text(text, FILE)
    return [str(problem) for problem in caught.value.problems]


def ids(contacts: CrisisContacts, at: datetime, **person: object) -> list[str]:
    """Return the ids of the lines open at `at` for the person described."""
    return [c.id for c in contacts.open_now(at, **person)]  # type: ignore[arg-type]


# --- the shipped file ---------------------------------------------------------------------------


def test_the_shipped_contacts_are_valid_and_name_a_verified_24_hour_line() -> None:
    assert check_crisis(DEFAULT_CONTACTS) == []
    contacts = load_contacts(DEFAULT_CONTACTS)
    assert any(c.verified and c.always for c in contacts.contacts)
    for shown in contacts.shown:
        assert shown.source.startswith(("https://", "http://")), shown.id
        assert shown.checked.isoformat() >= "2026-01-01", shown.id


def test_the_shipped_contacts_give_a_minor_the_childrens_sos_line_first_at_3am_sunday() -> None:
    contacts = load_contacts(DEFAULT_CONTACTS)
    sunday_3am = tokyo(2026, 11, 22, 3, 0)
    assert sunday_3am.weekday() == 6
    found = ids(contacts, sunday_3am, minor=True)
    assert found[0] == "kodomo_sos"


def test_unverified_shipped_contacts_are_never_offered() -> None:
    contacts = load_contacts(DEFAULT_CONTACTS)
    hidden = {c.id for c in contacts.contacts if not c.verified}
    moments = [tokyo(2026, 11, d, h, 30) for d in range(1, 31) for h in range(0, 24, 3)]
    for at in moments:
        for minor in (True, False, None):
            for violence in (True, False):
                assert not hidden & set(ids(contacts, at, minor=minor, violence_at_home=violence))


# --- file:line problems -------------------------------------------------------------------------


def test_a_file_without_a_verified_24_hour_line_is_refused() -> None:
    text = crisis_file(
        contact("night", ALWAYS, verified="false"),
        contact("evening", '{weekly: {mon: ["16:00-21:00"]}, public_holidays: open}'),
    )
    assert problems_of(text) == [
        f"{FILE}:2: no verified 24-hour line: at least one contact needs hours: "
        "{always: true} and verified: true, so that a crisis reply at any hour names a line "
        "that answers"
    ]


def test_unknown_keys_are_named_with_their_line() -> None:
    text = crisis_file(contact("night", ALWAYS)) + "    phone: 0120\n"
    text += "  - id: other\n    name: x\n    number: '110'\n    audience: [everyone]\n"
    text += "    hours: {always: true, open: yes}\n    hours_text: x\n    verified: false\n"
    text += "    checked: 2026-11-23\n    source: x\n"
    problems = problems_of(text)
    assert f"{FILE}:12: unknown key 'phone' in contact 'night' (allowed: " in problems[0]
    assert problems[1].startswith(f"{FILE}:17: unknown key 'open' in hours of contact 'other'")


def test_mistakes_in_a_contact_are_named_with_their_line() -> None:
    text = crisis_file(
        contact("night", ALWAYS),
        contact(
            "Bad-Id",
            '{weekly: {mon: ["16:00-25:00"], funday: []}}',
            audience="[everyone, adults]",
            verified="maybe",
            number="189",
        ),
    )
    problems = problems_of(text)
    assert problems == [
        f"{FILE}:12: id 'Bad-Id' of contact 2 is not valid: use lowercase letters, digits and "
        "_, starting with a letter",
        f'{FILE}:14: number of contact 2 is a number; quote it, e.g. "189"',
        f"{FILE}:15: unknown audience 'adults' in contact 2 (known: everyone, minors, "
        "violence_at_home)",
        f'{FILE}:16: hours of contact 2 need public_holidays: "open" or "closed" beside weekly',
        f"{FILE}:16: 25:00 in '16:00-25:00' is not a time of day (00:00 to 24:00), in weekly "
        "mon of contact 2",
        f"{FILE}:16: unknown day 'funday' in weekly of contact 2 (days: mon, tue, wed, thu, fri, "
        "sat, sun)",
        f"{FILE}:18: verified of contact 2 is 'maybe'; write true or false",
    ]


def test_a_verified_contact_needs_the_address_of_its_source() -> None:
    text = crisis_file(contact("night", ALWAYS).replace("https://example.org/night", "電話で確認"))
    assert problems_of(text) == [
        f"{FILE}:11: source of the verified contact 'night' must start with the address of the "
        "organisation's own page (https://...)"
    ]


def test_missing_keys_and_repeated_ids_are_refused() -> None:
    text = crisis_file(contact("night", ALWAYS), contact("night", ALWAYS))
    text += "  - id: empty\n"
    problems = problems_of(text)
    assert f"{FILE}:12: contact id 'night' is already used on line 3" in problems
    assert any(
        p.startswith(f"{FILE}:21: contact 'empty' is missing the required key") for p in problems
    )


def test_a_broken_or_missing_file_is_one_problem(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    missing = check_crisis(folder / "nowhere.yaml")
    assert len(missing) == 1 and "cannot read the file" in str(missing[0])
    broken = folder / "crisis.yaml"
    broken.write_text("timezone: Asia/Tokyo\ncontacts: [\n", encoding="utf-8")
    assert str(check_crisis(broken)[0]).startswith(f"{broken}:")


# --- which lines are open -----------------------------------------------------------------------


HOURS = crisis_file(
    contact("kids_24h", ALWAYS, audience="[minors]"),
    contact("everyone_24h", ALWAYS),
    contact("dv_24h", ALWAYS, audience="[violence_at_home]"),
    contact(
        "weekday_daytime",
        '{weekly: {mon: ["10:00-17:00"], tue: ["10:00-17:00"]}, public_holidays: closed}',
    ),
    contact("friday_night", '{weekly: {fri: ["22:00-02:00"]}, public_holidays: open}'),
    contact(
        "monthly",
        '{weekly: {sun: ["16:00-21:00"]}, public_holidays: open, '
        'monthly: {10: ["08:00-24:00"], 11: ["00:00-08:00"]}, closed_every_year: ["12-31"], '
        "exceptions: [{date: 2026-12-10, hours: []}]}",
    ),
    contact("hidden_24h", ALWAYS, verified="false"),
)


@pytest.fixture(scope="module")
def lines() -> CrisisContacts:
    """Contacts with hours of every kind."""
    return load_contacts_text(HOURS, FILE)


def test_at_3am_on_a_sunday_only_the_24_hour_lines_answer(lines: CrisisContacts) -> None:
    sunday_3am = tokyo(2026, 11, 22, 3, 0)
    assert ids(lines, sunday_3am, minor=False) == ["everyone_24h"]
    assert ids(lines, sunday_3am, minor=True) == ["kids_24h", "everyone_24h"]
    assert ids(lines, sunday_3am, minor=None) == ["everyone_24h", "kids_24h"]
    assert ids(lines, sunday_3am, minor=False, violence_at_home=True) == ["dv_24h", "everyone_24h"]


def test_24_hour_lines_come_before_lines_with_hours(lines: CrisisContacts) -> None:
    sunday_5pm = tokyo(2026, 11, 22, 17, 0)
    assert ids(lines, sunday_5pm, minor=True) == ["kids_24h", "everyone_24h", "monthly"]


def test_a_line_closed_on_public_holidays_is_closed_on_one(lines: CrisisContacts) -> None:
    holiday = tokyo(2026, 11, 23, 11, 0)  # 勤労感謝の日, a Monday
    assert is_public_holiday(holiday.date()) and holiday.weekday() == 0
    assert "weekday_daytime" not in ids(lines, holiday, minor=False)
    assert "weekday_daytime" in ids(lines, tokyo(2026, 11, 30, 11, 0), minor=False)
    assert "weekday_daytime" in ids(lines, tokyo(2026, 11, 24, 16, 59), minor=False)
    assert "weekday_daytime" not in ids(lines, tokyo(2026, 11, 24, 17, 0), minor=False)


def test_a_range_past_midnight_runs_into_the_next_day(lines: CrisisContacts) -> None:
    friday = [
        (tokyo(2026, 11, 27, 21, 59), False),
        (tokyo(2026, 11, 27, 22, 0), True),
        (tokyo(2026, 11, 28, 1, 59), True),  # Saturday morning, still Friday's night
        (tokyo(2026, 11, 28, 2, 0), False),
        (tokyo(2026, 11, 27, 1, 0), False),  # Friday morning: Thursday has no night
    ]
    for at, expected in friday:
        assert ("friday_night" in ids(lines, at, minor=False)) is expected, at


def test_monthly_yearly_and_dated_rules(lines: CrisisContacts) -> None:
    cases = [
        (tokyo(2027, 1, 10, 8, 0), True),  # the 10th from 8:00
        (tokyo(2027, 1, 11, 7, 59), True),  # ... to 8:00 on the 11th
        (tokyo(2027, 1, 11, 8, 0), False),
        (tokyo(2027, 1, 10, 7, 59), False),
        (tokyo(2026, 12, 10, 12, 0), False),  # an exception closes that 10th
        (tokyo(2026, 12, 27, 17, 0), True),  # an ordinary Sunday evening
        (tokyo(2028, 12, 31, 17, 0), False),  # a Sunday, but closed every 31 December
    ]
    for at, expected in cases:
        assert ("monthly" in ids(lines, at, minor=False)) is expected, at


def test_moments_in_other_zones_are_judged_by_the_clock_in_tokyo(lines: CrisisContacts) -> None:
    # 2026-11-27 13:30 UTC is 22:30 on Friday in Tokyo.
    assert "friday_night" in ids(lines, datetime(2026, 11, 27, 13, 30, tzinfo=UTC), minor=False)


def test_unverified_lines_never_appear(lines: CrisisContacts) -> None:
    for hour in range(24):
        at = tokyo(2026, 11, 22, hour, 0)
        for minor in (True, False, None):
            assert "hidden_24h" not in ids(lines, at, minor=minor, violence_at_home=True)


def test_a_naive_moment_keeps_only_the_24_hour_lines(lines: CrisisContacts) -> None:
    naive = datetime(2026, 11, 22, 17, 0)
    assert ids(lines, naive, minor=True) == ["kids_24h", "everyone_24h"]


# --- the lines the crisis reply names: never only a children's line for an adult --------------


KIDS_ONLY_AT_NIGHT = crisis_file(
    contact("kids_24h", ALWAYS, audience="[minors]"),
    contact("dv_24h", ALWAYS, audience="[violence_at_home]"),
    contact("everyone_daytime", '{weekly: {mon: ["10:00-17:00"]}, public_holidays: open}'),
    contact("everyone_24h_unverified", ALWAYS, verified="false"),
)


def crisis_ids(contacts: CrisisContacts, at: datetime, **person: object) -> list[str]:
    """Return the ids of the lines the crisis reply names at `at` for the person described."""
    return [c.id for c in contacts.crisis_lines(at, **person)]  # type: ignore[arg-type]


def test_crisis_lines_for_an_adult_or_unknown_age_at_night_lead_with_the_adult_line(
    lines: CrisisContacts,
) -> None:
    sunday_3am = tokyo(2026, 11, 22, 3, 0)
    assert crisis_ids(lines, sunday_3am, minor=False) == ["everyone_24h"]
    assert crisis_ids(lines, sunday_3am, minor=None) == ["everyone_24h", "kids_24h"]
    assert crisis_ids(lines, sunday_3am, minor=True) == ["kids_24h", "everyone_24h"]


def test_crisis_lines_never_give_only_a_childrens_line_to_a_possible_adult() -> None:
    contacts = load_contacts_text(KIDS_ONLY_AT_NIGHT, FILE)
    monday_3am = tokyo(2026, 11, 30, 3, 0)
    # open_now keeps the children's line for an unknown age; the crisis reply does not name
    # it alone: 110 and 119 are given instead.
    assert ids(contacts, monday_3am, minor=None) == ["kids_24h"]
    assert crisis_ids(contacts, monday_3am, minor=None) == []
    assert crisis_ids(contacts, monday_3am, minor=False) == []
    # A minor still gets it; beside a line for violence at home it is named to anyone.
    assert crisis_ids(contacts, monday_3am, minor=True) == ["kids_24h"]
    assert crisis_ids(contacts, monday_3am, minor=None, violence_at_home=True) == [
        "dv_24h",
        "kids_24h",
    ]
    # In the day a line for everyone answers, and the children's line may stand beside it.
    monday_noon = tokyo(2026, 11, 30, 12, 0)
    assert crisis_ids(contacts, monday_noon, minor=None) == ["kids_24h", "everyone_daytime"]
    assert crisis_ids(contacts, monday_noon, minor=False) == ["everyone_daytime"]


def test_the_shipped_contacts_name_a_verified_adult_24_hour_line_every_hour() -> None:
    contacts = load_contacts(DEFAULT_CONTACTS)
    for hour in range(24):
        at = tokyo(2026, 12, 8, hour, 0)
        for minor in (False, None):
            named = contacts.crisis_lines(at, minor=minor)
            assert named and named[0].always and "everyone" in named[0].audience, (hour, minor)
            assert named[0].verified, (hour, minor)
