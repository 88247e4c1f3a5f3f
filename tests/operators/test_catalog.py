"""Tests for the canned replies and case-record choices: real YAML in, problems by file:line."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from yorisoi.operators.catalog import load_catalog, parse_canned, parse_records

OPERATORS = Path(__file__).resolve().parents[2] / "operators"


def test_the_shipped_files_are_valid() -> None:
    catalog, problems = load_catalog(OPERATORS)

    assert problems == []
    assert catalog is not None
    labels = [t.label for t in catalog.response_types]
    assert labels == ["傾聴", "情報提供・助言", "面談", "同行支援", "関係機関との連携"]
    assert catalog.category("suicide_risk") is not None
    assert catalog.response_type("listening") is not None
    assert catalog.category("nonsense") is None
    assert {r.key for r in catalog.canned_for({"youth"})} >= {"greeting", "greeting_youth"}
    assert "greeting_youth" not in {r.key for r in catalog.canned_for({"mothers"})}


def test_records_problems_name_the_line() -> None:
    text = dedent("""\
        categories:
          - {key: family, label: 家族}
          - {key: family, label: 家族その2}
          - {key: Bad-Key, label: x}
          - {key: empty, label: "  "}
        response_types: []
        colour: blue
        """)

    catalog, problems = parse_records(text, "records.yaml")

    assert catalog is None
    assert [str(p) for p in problems] == [
        "records.yaml:3: categories key 'family' is used twice (lines 2 and 3)",
        "records.yaml:4: key 'Bad-Key' of categories 3 is not a valid key: use lowercase "
        "letters, digits and _, starting with a letter",
        "records.yaml:5: label of categories 4 is blank",
        "records.yaml:6: response_types is empty; the close form needs at least one",
        "records.yaml:7: unknown key 'colour' in the case record (allowed: categories, "
        "response_types, referrals)",
    ]


def test_canned_problems_name_the_line_and_keep_the_good_replies() -> None:
    text = dedent("""\
        canned:
          - key: hello
            title: こんにちは
            text: こんにちは。
          - key: teens
            title: 10代
            topics: [youth, teens]
            text: やあ
          - key: no_text
            title: 本文なし
          - key: yes
            title: yes
            text: yes
        """)

    replies, problems = parse_canned(text, "canned.yaml")

    assert [r.key for r in replies] == ["hello"]
    assert [str(p) for p in problems] == [
        "canned.yaml:7: unknown topic 'teens' in canned reply 2 (known: youth, mothers, general)",
        "canned.yaml:9: canned reply 3 is missing the required key 'text'",
        "canned.yaml:11: key of canned reply 4 must be text, not a boolean (YAML reads "
        "yes/no/on/off/true/false that way; put the text in quotes)",
        "canned.yaml:12: title of canned reply 4 must be text, not a boolean (YAML reads "
        "yes/no/on/off/true/false that way; put the text in quotes)",
        "canned.yaml:13: text of canned reply 4 must be text, not a boolean (YAML reads "
        "yes/no/on/off/true/false that way; put the text in quotes)",
    ]


def test_load_catalog_reports_a_missing_records_file(tmp_path: Path) -> None:
    catalog, problems = load_catalog(tmp_path)

    assert catalog is None
    assert len(problems) == 1
    assert problems[0].file == str(tmp_path / "records.yaml")
    assert "cannot read the file" in problems[0].message


def test_a_bad_canned_file_refuses_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "records.yaml").write_text((OPERATORS / "records.yaml").read_text("utf-8"), "utf-8")
    (tmp_path / "canned.yaml").write_text("canned: [oops\n", "utf-8")

    catalog, problems = load_catalog(tmp_path)

    assert catalog is None
    assert problems and problems[0].file.endswith("canned.yaml")
    assert "invalid YAML" in problems[0].message
