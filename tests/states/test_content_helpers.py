"""The value helpers every content loader shares (states/loader.py): one wording everywhere."""

from __future__ import annotations

from datetime import date

import pytest

from yorisoi.states.loader import Problems, as_date, nonblank_text, read_yaml


def _read(text: str) -> object:
    data, problem = read_yaml(text, "x.yaml")
    assert problem is None
    return data


@pytest.mark.parametrize(
    ("yaml", "strip", "expected"),
    [("name: '  よりそい '", True, "よりそい"), ("name: '  よりそい '", False, "  よりそい ")],
)
def test_nonblank_text_strips_unless_asked_not_to(yaml: str, strip: bool, expected: str) -> None:
    report = Problems("x.yaml")
    assert nonblank_text(report, _read(yaml), "name", "entry 1", strip=strip) == expected
    assert report.in_order() == []


@pytest.mark.parametrize(
    ("yaml", "message"),
    [("name: '   '", "name of entry 1 is blank"), ("name: 3", "name of entry 1 must be text")],
)
def test_nonblank_text_reports_blank_and_non_text(yaml: str, message: str) -> None:
    report = Problems("x.yaml")
    assert nonblank_text(report, _read(yaml), "name", "entry 1") is None
    [problem] = report.in_order()
    assert problem.line == 1 and problem.message.startswith(message)


@pytest.mark.parametrize("value", [date(2026, 11, 23), "2026-11-23", " 2026-11-23 "])
def test_as_date_accepts_a_yaml_date_or_its_text(value: object) -> None:
    report = Problems("x.yaml")
    assert as_date(report, value, 4, "checked of x") == date(2026, 11, 23)
    assert report.in_order() == []


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("d: 2026-11-23 10:00:00", "checked of x has a time; write the date alone, e.g. 2026-11-23"),
        ("d: '2026-13-01'", "checked of x is '2026-13-01', not a date such as 2026-11-23"),
        ("d: '20261123'", "checked of x is '20261123', not a date such as 2026-11-23"),
        ("d: 12/31", "checked of x is '12/31', not a date such as 2026-11-23"),
    ],
)
def test_as_date_reports_times_impossible_dates_and_other_spellings(yaml: str, message: str) -> None:
    report = Problems("x.yaml")
    data = _read(yaml)
    assert as_date(report, data["d"], 1, "checked of x") is None  # type: ignore[index]
    assert [problem.message for problem in report.in_order()] == [message]
