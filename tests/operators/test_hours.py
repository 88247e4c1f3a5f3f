"""Tests for service hours: real YAML in, fixed instants through the arithmetic, problems by line."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from textwrap import dedent
from zoneinfo import ZoneInfo

import pytest

from yorisoi.operators.hours import NoClosingFound, NoOpeningFound, OpeningRange, ServiceHours
from yorisoi.operators.hours_file import HoursInvalid, check_hours, load_hours, load_hours_text
from yorisoi.yamlcheck import ContentInvalid, ContentProblem

FILE = "operators/hours.yaml"
TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT = Path(__file__).resolve().parents[2] / "operators" / "hours.yaml"

# 2026-11-23 is a Monday and 勤労感謝の日; 2027-01-01 is a Friday and 元日.
WEEK = dedent("""\
    timezone: Asia/Tokyo
    weekly:
      mon: ["10:00-22:00"]
      tue: ["10:00-22:00"]
      wed: ["10:00-12:00", "13:00-22:00"]
      thu: ["10:00-22:00"]
      fri: ["10:00-24:00"]
      sat: ["00:00-02:00", "13:00-22:00"]
      sun: ["22:00-02:00"]
    public_holidays: closed
    exceptions:
      - {date: 2026-12-30, hours: ["18:00-02:00"]}
      - {date: 2026-12-31, hours: []}
      - {date: 2027-01-02, hours: ["13:00-17:00"]}
    morning_reply: opening
    """)


def tokyo(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Return a Japan time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)


def week(**replace: str) -> ServiceHours:
    """Return the WEEK hours, with whole lines replaced by key (e.g. morning_reply='"10:30"')."""
    lines = []
    for line in WEEK.splitlines():
        key = line.split(":")[0]
        if key.strip() in replace:
            line = f"{key}: {replace[key.strip()]}"
        lines.append(line)
    return load_hours_text("\n".join(lines) + "\n", FILE)


def problems_of(text: str) -> list[tuple[int, str]]:
    """Return the (line, message) of every problem in the hours file `text`."""
    with pytest.raises(HoursInvalid) as caught:
        load_hours_text(dedent(text), FILE)
    assert all(problem.file == FILE for problem in caught.value.problems)
    return [(problem.line, problem.message) for problem in caught.value.problems]


# --- is_open and current_closing ----------------------------------------------------------------


def test_weekday_opens_at_the_opening_minute_and_closes_at_the_closing_one() -> None:
    hours = week()
    assert not hours.is_open(tokyo(2026, 11, 24, 9, 59))
    assert hours.is_open(tokyo(2026, 11, 24, 10, 0))
    assert hours.is_open(tokyo(2026, 11, 24, 21, 59, 59))
    assert not hours.is_open(tokyo(2026, 11, 24, 22, 0))
    assert hours.current_closing(tokyo(2026, 11, 24, 12, 0)) == tokyo(2026, 11, 24, 22, 0)
    assert hours.current_closing(tokyo(2026, 11, 24, 22, 0)) is None


def test_instants_in_any_zone_are_read_in_the_service_zone() -> None:
    hours = week()
    # 01:00 UTC is 10:00 in Tokyo.
    assert hours.is_open(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 24, 0, 59, tzinfo=UTC))
    closing = hours.current_closing(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    assert closing == tokyo(2026, 11, 24, 22, 0)
    assert closing is not None and closing.tzinfo == TOKYO


def test_a_day_can_have_several_ranges() -> None:
    hours = week()
    assert hours.is_open(tokyo(2026, 11, 25, 11, 59))
    assert not hours.is_open(tokyo(2026, 11, 25, 12, 30))
    assert hours.current_closing(tokyo(2026, 11, 25, 11, 0)) == tokyo(2026, 11, 25, 12, 0)


def test_24_00_and_the_next_days_00_00_make_one_open_period() -> None:
    hours = week()
    assert hours.is_open(tokyo(2026, 11, 20, 23, 59))
    assert hours.is_open(tokyo(2026, 11, 21, 0, 0))
    assert hours.current_closing(tokyo(2026, 11, 20, 23, 0)) == tokyo(2026, 11, 21, 2, 0)


def test_a_range_past_midnight_runs_into_the_next_day_even_a_holiday() -> None:
    hours = week()
    # Sunday 2026-11-22 22:00-02:00 runs into Monday 11-23, a public holiday.
    assert hours.is_open(tokyo(2026, 11, 22, 23, 0))
    assert hours.is_open(tokyo(2026, 11, 23, 1, 59))
    assert not hours.is_open(tokyo(2026, 11, 23, 2, 0))
    assert hours.current_closing(tokyo(2026, 11, 22, 22, 0)) == tokyo(2026, 11, 23, 2, 0)


def test_weekend_saturday_afternoon_and_sunday_night_only() -> None:
    hours = week()
    assert not hours.is_open(tokyo(2026, 11, 21, 12, 59))
    assert hours.is_open(tokyo(2026, 11, 21, 13, 0))
    assert not hours.is_open(tokyo(2026, 11, 22, 12, 0))
    assert not hours.is_open(tokyo(2026, 11, 22, 21, 59))


def test_public_holidays_are_closed_or_open_as_written() -> None:
    assert not week().is_open(tokyo(2026, 11, 23, 12, 0))  # 勤労感謝の日, a Monday
    assert not week().is_open(tokyo(2027, 1, 1, 12, 0))  # 元日, a Friday
    assert week(public_holidays="open").is_open(tokyo(2026, 11, 23, 12, 0))


def test_an_exception_overrides_the_week_and_the_holidays() -> None:
    hours = week()
    assert not hours.is_open(tokyo(2026, 12, 31, 12, 0))  # a Thursday, closed by exception
    assert not hours.is_open(tokyo(2027, 1, 2, 12, 59))  # a Saturday with special hours
    assert hours.is_open(tokyo(2027, 1, 2, 16, 59))
    assert not hours.is_open(tokyo(2027, 1, 2, 17, 0))
    opened_holiday = load_hours_text(
        WEEK.replace("2026-12-31, hours: []", '2027-01-01, hours: ["13:00-17:00"]'), FILE
    )
    assert opened_holiday.is_open(tokyo(2027, 1, 1, 13, 0))


def test_a_closed_exception_day_keeps_the_night_of_the_day_before() -> None:
    hours = week()
    # 12-30 18:00-02:00 belongs to 12-30, so it still runs into the closed 12-31.
    assert hours.is_open(tokyo(2026, 12, 31, 1, 0))
    assert hours.current_closing(tokyo(2026, 12, 30, 20, 0)) == tokyo(2026, 12, 31, 2, 0)


# --- next_opening -------------------------------------------------------------------------------


def test_next_opening_when_closed_is_the_next_opening() -> None:
    hours = week()
    assert hours.next_opening(tokyo(2026, 11, 24, 9, 0)) == tokyo(2026, 11, 24, 10, 0)
    assert hours.next_opening(tokyo(2026, 11, 25, 12, 30)) == tokyo(2026, 11, 25, 13, 0)


def test_next_opening_when_open_skips_the_current_period() -> None:
    hours = week()
    assert hours.next_opening(tokyo(2026, 11, 25, 11, 0)) == tokyo(2026, 11, 25, 13, 0)
    assert hours.next_opening(tokyo(2026, 11, 24, 12, 0)) == tokyo(2026, 11, 25, 10, 0)
    # Open exactly at its opening minute, so that opening is not "next".
    assert hours.next_opening(tokyo(2026, 11, 24, 10, 0)) == tokyo(2026, 11, 25, 10, 0)
    # Friday's 10:00-24:00 and Saturday's 00:00-02:00 are one period.
    assert hours.next_opening(tokyo(2026, 11, 20, 23, 0)) == tokyo(2026, 11, 21, 13, 0)


def test_next_opening_across_a_weekend_and_a_holiday() -> None:
    hours = week(sun="[]")
    opening = hours.next_opening(tokyo(2026, 11, 21, 22, 30))
    assert opening == tokyo(2026, 11, 24, 10, 0)
    assert opening.tzinfo == TOKYO


def test_next_opening_across_golden_week_2027() -> None:
    # Sat 5-1 closes at 22:00; Sun 5-2 closed; 5-3, 5-4, 5-5 are holidays; Thu 5-6 opens.
    hours = week(sun="[]")
    assert hours.next_opening(tokyo(2027, 5, 1, 22, 30)) == tokyo(2027, 5, 6, 10, 0)


def test_next_opening_across_exceptions_and_new_year() -> None:
    hours = week()
    # 12-31 closed, 1-1 holiday, 1-2 special hours.
    assert hours.next_opening(tokyo(2026, 12, 31, 2, 0)) == tokyo(2027, 1, 2, 13, 0)


# --- morning_reply_at ---------------------------------------------------------------------------


def test_morning_reply_at_opening() -> None:
    hours = week()
    assert hours.morning_reply_at(tokyo(2026, 11, 23, 1, 40)) == tokyo(2026, 11, 24, 10, 0)


def test_morning_reply_at_a_local_time_inside_the_next_opening_day() -> None:
    hours = week(morning_reply='"10:30"')
    assert hours.morning_reply == time(10, 30)
    assert hours.morning_reply_at(tokyo(2026, 11, 23, 1, 40)) == tokyo(2026, 11, 24, 10, 30)


def test_morning_reply_waits_for_a_later_opening_but_never_for_another_day() -> None:
    hours = week(morning_reply='"10:30"')
    # Saturday opens at 13:00 (after the early 00:00-02:00 range has closed): reply at 13:00.
    assert hours.morning_reply_at(tokyo(2026, 11, 21, 3, 0)) == tokyo(2026, 11, 21, 13, 0)
    # A day that closes before 10:30 gets the reply at its opening.
    early = load_hours_text(
        WEEK.replace("2027-01-02", "2026-11-26")
        .replace('["13:00-17:00"]', '["08:00-10:00"]')
        .replace("morning_reply: opening", 'morning_reply: "10:30"'),
        FILE,
    )
    assert early.morning_reply_at(tokyo(2026, 11, 26, 1, 0)) == tokyo(2026, 11, 26, 8, 0)


# --- describe_next_opening ----------------------------------------------------------------------


def test_describe_next_opening_today_tomorrow_and_later() -> None:
    hours = week(sun="[]")
    assert hours.describe_next_opening(tokyo(2026, 11, 25, 12, 30)) == "きょうの 13時"
    assert (
        hours.describe_next_opening(tokyo(2026, 11, 23, 1, 40))
        == "あした（11月24日 火曜日）の 10時"
    )
    assert hours.describe_next_opening(tokyo(2026, 11, 21, 22, 30)) == "11月24日（火）の 10時"
    assert hours.describe_next_opening(tokyo(2026, 12, 31, 2, 0)) == "2027年1月2日（土）の 13時"


def test_describe_next_opening_uses_the_service_zone_and_minutes() -> None:
    hours = week(tue='["10:30-22:00"]')
    # 16:00 UTC on the 23rd is 01:00 on the 24th in Tokyo: the opening is "today".
    assert hours.describe_next_opening(datetime(2026, 11, 23, 16, 0, tzinfo=UTC)) == (
        "きょうの 10時30分"
    )


# --- a zone with daylight saving time -----------------------------------------------------------

BERLIN_WEEK = dedent("""\
    timezone: Europe/Berlin
    weekly:
      mon: ["10:00-18:00"]
      sat: ["22:00-04:00"]
      sun: ["02:30-05:00"]
    public_holidays: open
    """)


def test_a_dst_zone_opens_by_the_local_clock() -> None:
    hours = load_hours_text(BERLIN_WEEK, FILE)
    # 10:00 in Berlin is 09:00 UTC in winter and 08:00 UTC in summer.
    assert hours.next_opening(datetime(2027, 3, 21, 12, 0, tzinfo=UTC)) == datetime(
        2027, 3, 22, 9, 0, tzinfo=UTC
    )
    assert hours.is_open(datetime(2027, 3, 29, 8, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2027, 3, 22, 8, 30, tzinfo=UTC))


def test_a_time_skipped_by_dst_opens_when_the_clocks_jump() -> None:
    # Sunday 2027-03-28 goes from 02:00 CET to 03:00 CEST; 02:30 never shows on the clock.
    hours = load_hours_text(BERLIN_WEEK.replace('sat: ["22:00-04:00"]', "sat: []"), FILE)
    opening = hours.next_opening(datetime(2027, 3, 27, 12, 0, tzinfo=BERLIN))
    assert opening == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert (opening.tzinfo, opening.hour, opening.minute) == (BERLIN, 3, 0)


def test_a_night_when_clocks_go_back_lasts_an_hour_longer() -> None:
    # Sunday 2027-10-31 goes from 03:00 CEST back to 02:00 CET.
    hours = load_hours_text(BERLIN_WEEK.replace('sun: ["02:30-05:00"]', "sun: []"), FILE)
    opened = datetime(2027, 10, 30, 22, 0, tzinfo=BERLIN)
    closing = hours.current_closing(opened)
    assert closing == datetime(2027, 10, 31, 4, 0, tzinfo=BERLIN)
    # Subtract in UTC: aware datetimes sharing a ZoneInfo subtract by the wall clock.
    assert closing is not None
    assert closing.astimezone(UTC) - opened.astimezone(UTC) == timedelta(hours=7)


# --- schedules that never open or never close ---------------------------------------------------


def test_a_schedule_that_never_opens_again_raises() -> None:
    # Valid (it has an exception with hours), but that date is in the past.
    only_past = dedent("""\
        timezone: Asia/Tokyo
        weekly: {}
        public_holidays: closed
        exceptions:
          - {date: 2026-01-05, hours: ["10:00-12:00"]}
        """)
    hours = load_hours_text(only_past, FILE)
    with pytest.raises(NoOpeningFound, match="366 days"):
        hours.next_opening(tokyo(2026, 11, 23, 1, 0))
    with pytest.raises(NoOpeningFound):
        hours.morning_reply_at(tokyo(2026, 11, 23, 1, 0))
    assert not hours.is_open(tokyo(2026, 11, 23, 1, 0))


def test_a_schedule_open_around_the_clock_never_closes() -> None:
    always = ServiceHours(
        timezone=TOKYO,
        weekly=tuple((OpeningRange(0, 1440),) for _ in range(7)),
        public_holidays_open=True,
    )
    assert always.is_open(tokyo(2026, 11, 23, 3, 0))
    with pytest.raises(NoClosingFound):
        always.current_closing(tokyo(2026, 11, 23, 3, 0))
    with pytest.raises(NoOpeningFound):
        always.next_opening(tokyo(2026, 11, 23, 3, 0))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        week().is_open(datetime(2026, 11, 24, 12, 0))


# --- files --------------------------------------------------------------------------------------


def test_the_shipped_hours_are_valid() -> None:
    assert check_hours(DEFAULT) == []
    hours = load_hours(DEFAULT)
    assert hours.timezone == TOKYO
    assert hours.morning_reply is None
    assert date(2026, 12, 31) in hours.exceptions


def test_load_hours_reads_a_file_and_check_hours_finds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hours.yaml"
    path.write_text(WEEK, encoding="utf-8")
    assert check_hours(path) == []
    assert load_hours(path) == week()


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "hours.yaml"
    problems = check_hours(path)
    assert len(problems) == 1
    assert (problems[0].file, problems[0].line) == (str(path), 0)
    assert "cannot read the file" in problems[0].message
    with pytest.raises(ContentInvalid):
        load_hours(path)


def test_load_hours_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "hours.yaml"
    path.write_text("timezone: Mars/Olympus\nweekly: {mon: ['10-22']}\npublic_holidays: maybe\n")
    with pytest.raises(HoursInvalid) as caught:
        load_hours(path)
    assert [problem.line for problem in caught.value.problems] == [1, 2, 3]
    assert check_hours(path) == caught.value.problems
    assert isinstance(caught.value.problems[0], ContentProblem)


# --- validation, rule by rule, with lines -------------------------------------------------------


def test_unknown_keys_missing_keys_and_duplicates() -> None:
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly: {mon: ["10:00-22:00"]}
        holidays: closed
        exceptions:
          - {date: 2026-12-31, hours: [], note: 大晦日}
          - {hours: []}
        timezone: Asia/Tokyo
        """) == [
        (
            1,
            "the service hours is missing the required key 'public_holidays'",
        ),
        (
            3,
            "unknown key 'holidays' in the service hours (allowed: timezone, weekly, "
            "public_holidays, exceptions, morning_reply)",
        ),
        (5, "unknown key 'note' in exception 1 (allowed: date, hours)"),
        (6, "exception 2 is missing the required key 'date'"),
        (
            7,
            "key 'timezone' appears twice in the service hours (lines 1 and 7); "
            "YAML would silently keep only the last",
        ),
    ]


def test_bad_weekday_keys_and_days() -> None:
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly:
          mon: ["10:00-22:00"]
          monday: ["10:00-22:00"]
          tue:
          mon: ["11:00-22:00"]
        public_holidays: closed
        """) == [
        (4, "unknown day 'monday' in weekly (days: mon, tue, wed, thu, fri, sat, sun)"),
        (5, "weekly tue (write [] for closed) must be a list, not empty"),
        (6, "day 'mon' appears twice in weekly (lines 3 and 6)"),
    ]


def test_bad_range_syntax() -> None:
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly:
          mon: ["10-22"]
          tue: ["25:00-26:00"]
          wed: ["10:00-10:00"]
          thu: ["24:00-02:00", 1000]
          fri: ["10:00-22:00", "12:60-13:00"]
        public_holidays: closed
        """) == [
        (3, "opening range '10-22' of weekly mon is not HH:MM-HH:MM, e.g. \"10:00-22:00\""),
        (4, "25:00 in '25:00-26:00' is not a time of day (00:00 to 24:00), in weekly tue"),
        (4, "26:00 in '25:00-26:00' is not a time of day (00:00 to 24:00), in weekly tue"),
        (
            5,
            "opening range '10:00-10:00' of weekly wed is empty; to stay open all day write "
            '"00:00-24:00"',
        ),
        (
            6,
            "opening range '24:00-02:00' of weekly thu starts at 24:00; start at 00:00 on the "
            "next day",
        ),
        (
            6,
            "an opening range of weekly thu must be text, not a number (put the text in quotes)",
        ),
        (7, "12:60 in '12:60-13:00' is not a time of day (00:00 to 24:00), in weekly fri"),
    ]


def test_overlapping_ranges_in_a_day() -> None:
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly:
          mon: ["13:00-22:00",
                "10:00-14:00"]
          tue: ["22:00-02:00", "01:00-03:00"]
          wed: ["20:00-02:00", "21:00-22:00"]
        public_holidays: closed
        exceptions:
          - date: 2026-12-31
            hours: ["10:00-12:00", "11:00-13:00"]
        """) == [
        (3, "opening ranges '10:00-14:00' and '13:00-22:00' of weekly mon overlap"),
        (6, "opening ranges '20:00-02:00' and '21:00-22:00' of weekly wed overlap"),
        (10, "opening ranges '10:00-12:00' and '11:00-13:00' of exception 2026-12-31 overlap"),
    ]


def test_bad_and_duplicate_exception_dates() -> None:
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly: {mon: ["10:00-22:00"]}
        public_holidays: closed
        exceptions:
          - {date: 2026-12-31, hours: []}
          - {date: "2026-13-01", hours: []}
          - {date: 12/31, hours: []}
          - {date: 2026-12-31, hours: ["13:00-17:00"]}
          - {date: 2027-01-02 10:00:00, hours: []}
        """) == [
        (6, "date of exception 2 is '2026-13-01', not a date such as 2026-12-31"),
        (7, "date of exception 3 is '12/31', not a date such as 2026-12-31"),
        (
            8,
            "exception date 2026-12-31 is listed twice (lines 5 and 8); keep one",
        ),
        (9, "date of exception 5 has a time; write the date alone, e.g. 2026-12-31"),
    ]


def test_an_impossible_unquoted_date_is_found_by_line() -> None:
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly: {mon: ["10:00-22:00"]}  # from 2026-01-01
        public_holidays: closed
        exceptions:
          - {date: 2026-02-30, hours: []}
        """) == [(5, "2026-02-30 is not a date: day is out of range for month")]


def test_unknown_timezone_and_bad_public_holidays() -> None:
    assert problems_of("""\
        timezone: Asia/Osaka
        weekly: {mon: ["10:00-22:00"]}
        public_holidays: yes
        """) == [
        (1, "unknown timezone 'Asia/Osaka'; use an IANA name such as \"Asia/Tokyo\""),
        (
            3,
            "public_holidays is a boolean (YAML reads yes/no/on/off/true/false that way; put "
            'the text in quotes); write "open" or "closed"',
        ),
    ]
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly: {mon: ["10:00-22:00"]}
        public_holidays: sometimes
        """) == [(3, 'public_holidays is \'sometimes\'; write "open" or "closed"')]


def test_morning_reply_must_be_opening_or_a_time_inside_opening_hours() -> None:
    base = """\
        timezone: Asia/Tokyo
        weekly: {{mon: ["10:00-22:00"], tue: ["22:00-02:00"]}}
        public_holidays: closed
        morning_reply: {}
        """
    assert problems_of(base.format('"09:00"')) == [
        (
            4,
            "morning_reply '09:00' is outside every opening range; the morning reply goes out "
            "while responders are there",
        )
    ]
    assert problems_of(base.format("soon")) == [
        (4, 'morning_reply \'soon\' is neither "opening" nor a local time such as "09:00"')
    ]
    assert problems_of(base.format('"24:00"')) == [
        (4, 'morning_reply \'24:00\' is neither "opening" nor a local time such as "09:00"')
    ]
    # YAML 1.1 reads an unquoted 10:30 as the number 630.
    assert problems_of(base.format("10:30")) == [
        (4, 'morning_reply is a number; quote the time, e.g. "10:30"')
    ]
    # Inside a range past midnight (Tuesday night, Wednesday 01:00) is inside.
    inside = load_hours_text(dedent(base.format('"01:00"')), FILE)
    assert inside.morning_reply == time(1, 0)


def test_a_schedule_with_no_opening_at_all() -> None:
    assert problems_of("""\
        timezone: Asia/Tokyo
        weekly:
          sun: []
        public_holidays: open
        exceptions:
          - {date: 2026-12-31, hours: []}
        """) == [
        (
            2,
            "the service never opens: no day of the week and no exception has opening hours",
        )
    ]


def test_an_empty_file_and_a_yaml_error() -> None:
    assert problems_of("") == [
        (1, "the file is empty; service hours need timezone, weekly, public_holidays")
    ]
    [(line, message)] = problems_of("timezone: [Asia/Tokyo\n")
    assert line == 2
    assert message.startswith("invalid YAML")
