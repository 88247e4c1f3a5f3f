"""Staff shifts: real YAML in, problems by line, a week of shifts in Japan time, and the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from textwrap import dedent
from zoneinfo import ZoneInfo

import pytest
from conftest import BotFactory
from harness import Bot, sign_in_staff

from yorisoi import keys
from yorisoi.config import REPO_ROOT
from yorisoi.content import check_content
from yorisoi.operators.shifts import (
    NO_SHIFTS,
    ShiftPattern,
    ShiftsInvalid,
    check_shifts,
    load_shifts,
    load_shifts_text,
)

FILE = "operators/shifts.yaml"
TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")

PLAN = dedent("""\
    shifts:
      - login: sato
        weekly:
          wed: ["20:00-24:00"]
          fri: ["22:00-02:00"]
          sat: ["02:00-03:00"]     # touches Friday's night: one shift until 03:00
      - login: mika
        timezone: Europe/Berlin
        weekly: {mon: ["16:00-19:00"], tue: ["09:00-12:00"], sat: ["09:00-12:00"]}
    """)


def tokyo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return a Japan time."""
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def person(login: str, text: str = PLAN) -> ShiftPattern:
    pattern = load_shifts_text(text, FILE).of(login)
    assert pattern is not None
    return pattern


def labels(pattern: ShiftPattern, start: datetime, days: int = 7) -> list[str]:
    """Return the Japan-time labels of the shifts overlapping `days` days from `start`."""
    return [shift.label() for shift in pattern.between(start, start + timedelta(days=days))]


# --- reading the file -----------------------------------------------------------------------------


def test_the_shipped_example_is_valid_and_names_the_demo_account() -> None:
    plan = load_shifts(REPO_ROOT / "operators" / "shifts.yaml")
    assert set(plan.patterns) == {"demo"}
    assert check_shifts(REPO_ROOT / "operators" / "shifts.yaml") == []


def test_a_missing_or_empty_file_means_no_shifts(tmp_path: Path) -> None:
    assert load_shifts(tmp_path / "shifts.yaml") is NO_SHIFTS
    assert check_shifts(tmp_path / "shifts.yaml") == []
    assert load_shifts_text("shifts:\n", FILE).patterns == {}


def test_problems_name_the_line() -> None:
    text = dedent("""\
        shifts:
          - login: sato
            weekly: {mon: ["10:00-14:00"]}
          - login: Sato Taro
            weekly: {mon: ["10:00-14:00"]}
          - login: mika
            timezone: Europe/Berlín
            weekly: {tue: ["9-12"]}
          - login: sato
            weekly: {wed: ["10:00-14:00"]}
          - login: ito
            weekly: {thu: ["10:00-14:00", "13:00-15:00"]}
            days: 3
          - login: abe
            weekly: {}
          - login: kato
            weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
          - weekly: {fri: ["10:00-12:00"]}
        """)
    with pytest.raises(ShiftsInvalid) as caught:
        load_shifts_text(text, FILE)
    found = {(p.line, p.message) for p in caught.value.problems}
    assert {line for line, _ in found} == {4, 7, 8, 9, 12, 13, 15, 17, 18}
    by_line = {line: message for line, message in found}
    assert "'Sato Taro'" in by_line[4] and "cannot be a staff login" in by_line[4]
    assert "unknown timezone 'Europe/Berlín'" in by_line[7]
    assert "'9-12'" in by_line[8] and "HH:MM-HH:MM" in by_line[8]
    assert "sato has shifts twice (lines 2 and 9)" in by_line[9]
    assert "overlap" in by_line[12]
    assert "unknown key 'days'" in by_line[13]
    assert "no times" in by_line[15]
    assert "no time off" in by_line[17]
    assert "missing the required key 'login'" in by_line[18]
    assert all(str(p).startswith(f"{FILE}:") for p in caught.value.problems)


def test_yorisoi_check_reports_the_shifts_file_by_line(tmp_path: Path) -> None:
    content = content_with_shifts(
        tmp_path, 'shifts:\n  - login: sato\n    weekly: {sun: ["10:00-25:00"]}\n'
    )
    shifts_file = str(content / "operators" / "shifts.yaml")
    problems = [p for p in check_content(content) if p.file == shifts_file]
    assert [p.line for p in problems] == [3]
    assert "25:00" in problems[0].message


def test_logins_without_an_account_are_accepted_by_the_file() -> None:
    # Content is checked without the store; GET /api/staff lists them (see below).
    assert set(load_shifts_text(PLAN, FILE).patterns) == {"sato", "mika"}


# --- the week, in Japan time ----------------------------------------------------------------------


def test_a_berlin_shift_moves_an_hour_earlier_in_japan_when_europe_springs_forward() -> None:
    mika = person("mika")
    # Europe moves its clocks forward on Sunday 29 March 2026; Japan does not.
    assert labels(mika, tokyo(2026, 3, 26, 12)) == [
        "3/28(土) 17:00–20:00",  # 09:00 CET
        "3/30(月) 23:00–翌02:00",  # 16:00 CEST, past midnight in Japan
        "3/31(火) 16:00–19:00",  # 09:00 CEST
    ]
    own = [
        shift.label(BERLIN) for shift in mika.between(tokyo(2026, 3, 26, 12), tokyo(2026, 4, 2, 12))
    ]
    assert own == ["3/28(土) 09:00–12:00", "3/30(月) 16:00–19:00", "3/31(火) 09:00–12:00"]


def test_a_berlin_evening_falls_on_the_next_day_in_japan_after_europe_falls_back() -> None:
    mika = person("mika")
    # Europe moves its clocks back on Sunday 25 October 2026: Monday 16:00 in Berlin is
    # Monday 23:00 in Japan before, and Tuesday 00:00 after.
    found = labels(mika, tokyo(2026, 10, 19, 12), days=9)
    assert found == [
        "10/19(月) 23:00–翌02:00",
        "10/20(火) 16:00–19:00",
        "10/24(土) 16:00–19:00",
        "10/27(火) 00:00–03:00",
        "10/27(火) 17:00–20:00",
    ]
    shifts = mika.between(tokyo(2026, 10, 26, 12), tokyo(2026, 10, 27, 12))
    assert [s.start.astimezone(TOKYO) for s in shifts] == [tokyo(2026, 10, 27, 0)]
    assert shifts[0].end - shifts[0].start == timedelta(hours=3)


def test_a_shift_past_midnight_is_one_shift_and_is_found_whole_while_it_runs() -> None:
    sato = person("sato")
    # Saturday 28 November 2026, 01:30: Friday night's shift is running.
    night = tokyo(2026, 11, 28, 1, 30)
    assert sato.on_shift(night)
    assert labels(sato, night) == [
        "11/27(金) 22:00–翌03:00",
        "12/2(水) 20:00–24:00",
        "12/4(金) 22:00–翌03:00",
    ]
    assert not sato.on_shift(tokyo(2026, 11, 28, 3))  # off at the end
    assert sato.on_shift(tokyo(2026, 11, 27, 22))  # on from the start


def test_nobody_is_on_shift_by_plan_outside_their_times() -> None:
    mika = person("mika")
    assert mika.on_shift(tokyo(2026, 11, 24, 17, 30))  # Tuesday 09:30 in Berlin
    assert not mika.on_shift(tokyo(2026, 11, 24, 12))


# --- through the app ------------------------------------------------------------------------------


def content_with_shifts(tmp_path: Path, text: str) -> Path:
    """Return a content folder: the repository's content with this shifts.yaml."""
    root = tmp_path / "content"
    (root / "operators").mkdir(parents=True, exist_ok=True)
    for folder in ("states", "faq"):
        if not (root / folder).exists():
            (root / folder).symlink_to(REPO_ROOT / folder)
    for name in ("hours.yaml", "canned.yaml", "records.yaml"):
        target = root / "operators" / name
        if not target.exists():
            target.symlink_to(REPO_ROOT / "operators" / name)
    (root / "operators" / "shifts.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
async def planned(make_bot: BotFactory, tmp_path: Path) -> Bot:
    """The app with PLAN's shifts; the clock on Tuesday 24 November 2026, 17:30 in Japan."""
    content = content_with_shifts(tmp_path, PLAN)
    bot = await make_bot(secure_cookies=False, content_dir=content)
    bot.clock.set(tokyo(2026, 11, 24, 17, 30))
    return bot


async def test_supervisors_see_everyones_shifts_in_japan_time(planned: Bot) -> None:
    tanaka = await sign_in_staff(planned, "tanaka", "supervisor", on_duty=False)
    await sign_in_staff(planned, "mika", display_name="Mika", on_duty=False)
    code, body = await tanaka.get("/api/staff")
    assert code == 200, body
    people = {member["login"]: member for member in body["staff"]}
    mika = people["mika"]
    assert mika["shift_timezone"] == "Europe/Berlin"
    assert mika["on_shift_now"] is True and mika["on_duty"] is False  # the plan is not the switch
    assert [s["label"] for s in mika["shifts_jst"]] == [
        "11/24(火) 17:00–20:00",  # Tuesday 09:00 in Berlin, in progress: shown whole
        "11/28(土) 17:00–20:00",
        "12/1(火) 00:00–03:00",  # Monday 16:00 in Berlin
        "12/1(火) 17:00–20:00",  # next Tuesday's starts within the seven days
    ]
    assert mika["shifts_jst"][0]["start"] == "2026-11-24T17:00:00+09:00"
    assert mika["shifts_jst"][0]["end"] == "2026-11-24T20:00:00+09:00"
    assert people["tanaka"]["shifts_jst"] == [] and people["tanaka"]["shift_timezone"] is None
    assert people["tanaka"]["on_shift_now"] is False
    # sato is in shifts.yaml but has no account (yet, or a misspelling).
    assert body["shifts_without_staff"] == ["sato"]


async def test_a_responder_cannot_list_staff_but_sees_their_own_shifts_in_their_time(
    planned: Bot,
) -> None:
    mika = await sign_in_staff(planned, "mika", on_duty=False)
    code, body = await mika.get("/api/staff")
    assert code == 403 and body["error"] == "forbidden"
    code, me = await mika.get("/api/me")
    assert code == 200
    assert me["login"] == "mika" and me["shift_timezone"] == "Europe/Berlin"
    assert me["on_shift_now"] is True
    assert me["shifts_local"][0] == {
        "start": "2026-11-24T09:00:00+01:00",
        "end": "2026-11-24T12:00:00+01:00",
        "label": "11/24(火) 09:00–12:00",
    }


async def test_a_broken_shifts_file_keeps_the_running_shifts(planned: Bot, tmp_path: Path) -> None:
    library = planned.app[keys.CONTENT]
    assert set(library.shifts.patterns) == {"sato", "mika"}
    shifts_file = tmp_path / "content" / "operators" / "shifts.yaml"
    shifts_file.write_text(
        'shifts:\n  - login: sato\n    weekly: {mon: ["10-14"]}\n', encoding="utf-8"
    )
    report = await library.reload()
    assert [(p.file, p.line) for p in report.problems] == [(str(shifts_file), 3)]
    assert set(library.shifts.patterns) == {"sato", "mika"}
    shifts_file.write_text(
        'shifts:\n  - login: sato\n    weekly: {mon: ["10:00-14:00"]}\n', encoding="utf-8"
    )
    assert (await library.reload()).problems == []
    assert set(library.shifts.patterns) == {"sato"}


async def test_the_bot_starts_without_shifts_when_the_file_is_broken(
    make_bot: BotFactory, tmp_path: Path
) -> None:
    content = content_with_shifts(tmp_path, "shifts: [oops\n")
    bot = await make_bot(secure_cookies=False, content_dir=content)
    assert bot.app[keys.CONTENT].shifts.patterns == {}
