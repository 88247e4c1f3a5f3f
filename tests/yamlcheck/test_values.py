"""The value helpers every content loader shares (yorisoi.yamlcheck): one wording everywhere."""

from __future__ import annotations

from datetime import date

import pytest

from yorisoi.yamlcheck import (
    Problems,
    as_date,
    as_list,
    nonblank_text,
    read_yaml,
    unique_items,
)


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
        (
            "d: 2026-11-23 10:00:00",
            "checked of x has a time; write the date alone, e.g. 2026-11-23",
        ),
        ("d: '2026-13-01'", "checked of x is '2026-13-01', not a date such as 2026-11-23"),
        ("d: '20261123'", "checked of x is '20261123', not a date such as 2026-11-23"),
        ("d: 12/31", "checked of x is '12/31', not a date such as 2026-11-23"),
    ],
)
def test_as_date_reports_times_impossible_dates_and_other_spellings(
    yaml: str, message: str
) -> None:
    report = Problems("x.yaml")
    data = _read(yaml)
    assert as_date(report, data["d"], 1, "checked of x") is None  # type: ignore[index]
    assert [problem.message for problem in report.in_order()] == [message]


def test_unique_items_leaves_out_the_invalid_and_the_repeated() -> None:
    """Shifts, referral resources and crisis contacts share this loop; ids are unique."""
    data = _read("items:\n  - a\n  - ''\n  - b\n  - a\n")
    report = Problems("x.yaml")
    items = as_list(report, data["items"], 1, "items")  # type: ignore[index]
    assert items is not None

    def build(report: Problems, item: object, line: int, number: int) -> tuple[str, int] | None:
        if not item:
            report.add(line, f"item {number} is empty")
            return None
        return (str(item), line)

    found = unique_items(
        report,
        items,
        build,
        lambda pair: pair[0],
        lambda name, first, line: f"{name} again ({first}, {line})",
    )
    assert found == [("a", 2), ("b", 4)]
    assert [str(problem) for problem in report.in_order()] == [
        "x.yaml:3: item 2 is empty",
        "x.yaml:5: a again (2, 5)",
    ]
