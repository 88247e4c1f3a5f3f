"""Tests for loading and validating FAQ entries and synonyms (`yorisoi.faq.model`)."""

from __future__ import annotations

from pathlib import Path

from yorisoi.faq.model import (
    MAX_ANSWER,
    load_entries,
    load_synonyms,
    parse_entries,
    parse_synonyms,
)

SHIPPED_SYNONYMS = Path(__file__).resolve().parents[2] / "faq" / "synonyms.yaml"

GOOD = """\
entries:
  - id: youth.housing
    category: 住まい
    audience: youth
    question: 今夜泊まるところがない
    alternatives:
      - 家に帰れない
      - 家出したい
    answer: |
      今夜の寝る場所がないときは、相談できる窓口があります。
    resources: [youth_shelter, yorisoi_hotline]
  - id: general.hours
    category: このサービス
    audience: general
    question: 相談員と話せる時間は？
    answer: メニューの「相談できる時間」で確かめられます。
"""


def _messages(problems: list) -> list[str]:
    """Return problems as `line: message` without the file name."""
    return [f"{problem.line}: {problem.message}" for problem in problems]


def test_a_good_file_gives_its_entries(tmp_path: Path) -> None:
    (tmp_path / "youth.yaml").write_text(GOOD, encoding="utf-8")
    entries, problems = load_entries(tmp_path)
    assert problems == []
    housing, hours = entries
    assert housing.id == "youth.housing"
    assert housing.audience == "youth"
    assert housing.alternatives == ("家に帰れない", "家出したい")
    assert housing.phrasings == ("今夜泊まるところがない", "家に帰れない", "家出したい")
    assert housing.resources == ("youth_shelter", "yorisoi_hotline")
    assert housing.answer.startswith("今夜の寝る場所")
    assert (housing.file, housing.line) == (str(tmp_path / "youth.yaml"), 2)
    assert hours.alternatives == () and hours.resources == ()


def test_synonyms_and_resources_are_not_entry_files(tmp_path: Path) -> None:
    (tmp_path / "youth.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "synonyms.yaml").write_text("synonyms:\n  - [夫, 旦那]\n", encoding="utf-8")
    (tmp_path / "resources.yaml").write_text("resources: []\n", encoding="utf-8")
    (tmp_path / ".#youth.yaml").write_text("not: yaml: at all", encoding="utf-8")
    entries, problems = load_entries(tmp_path)
    assert problems == []
    assert len(entries) == 2


def test_each_entry_problem_names_its_line() -> None:
    text = """\
entries:
  - id: youth.money
    category: お金
    audience: teens
    question: ""
    answer: 食べるものがないときは相談してください。
    colour: red
  - id: Youth-Money
    category: お金
    audience: youth
    question: お金がない
  - id: mothers.rest
    category: とても長いカテゴリーの名前でラベルに入りきらない
    audience: mothers
    question: 休みたい
    alternatives: [ちょっと休みたい, "  "]
    answer: 一時保育があります。
  - just text
"""
    entries, problems = parse_entries(text, "faq/x.yaml")
    assert entries == []
    assert all(problem.file == "faq/x.yaml" for problem in problems)
    assert _messages(problems) == [
        "4: audience 'teens' of entry 'youth.money' is not one of youth, mothers, general",
        "5: question of entry 'youth.money' is blank",
        "7: unknown key 'colour' in entry 'youth.money' (allowed: id, category, audience, "
        "label, question, alternatives, answer, resources)",
        "8: entry 'Youth-Money' is missing the required key 'answer'",
        "8: id 'Youth-Money' is not valid: write audience.name in lowercase letters, digits "
        "and _ (for example youth.housing)",
        "13: category 'とても長いカテゴリーの名前でラベルに入りきらない' of entry 'mothers.rest' is 24 "
        "characters; it becomes a quick reply label and LINE allows at most 20",
        "16: an item of alternatives of entry 'mothers.rest' is blank",
        "18: entry 4 must be a mapping of keys, not text",
    ]


def test_an_answer_longer_than_one_line_message_is_refused() -> None:
    answer = "あ" * (MAX_ANSWER + 1)
    text = (
        "entries:\n"
        "  - id: general.cost\n"
        "    category: このサービス\n"
        "    audience: general\n"
        "    question: お金はかかる？\n"
        f"    answer: {answer}\n"
    )
    entries, problems = parse_entries(text, "faq/general.yaml")
    assert entries == []
    assert _messages(problems) == [
        f"6: answer of entry 'general.cost' is {MAX_ANSWER + 1} characters; a LINE text "
        f"message allows at most {MAX_ANSWER}"
    ]


def test_a_good_entry_survives_a_bad_neighbour() -> None:
    text = GOOD + "  - id: general.cost\n    category: x\n"
    entries, problems = parse_entries(text, "faq/g.yaml")
    assert [entry.id for entry in entries] == ["youth.housing", "general.hours"]
    assert len(problems) == 3  # audience, question, answer missing, all on the entry's line
    assert {problem.line for problem in problems} == {17}


def test_a_duplicate_id_across_files_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    other = GOOD.replace("youth.housing", "youth.home").replace("今夜泊まる", "今日泊まる")
    other = other.replace("家に帰れない", "帰る家がない").replace("家出したい", "家を出たい")
    other = other.replace("相談員と話せる時間は？", "何時まで？")
    (tmp_path / "b.yaml").write_text(other, encoding="utf-8")
    entries, problems = load_entries(tmp_path)
    assert [entry.id for entry in entries] == ["youth.housing", "general.hours", "youth.home"]
    assert [str(problem) for problem in problems] == [
        f"{tmp_path / 'b.yaml'}:12: entry id 'general.hours' is already used at "
        f"{tmp_path / 'a.yaml'}:12"
    ]


def test_one_phrasing_under_two_entries_is_reported() -> None:
    text = GOOD.replace("相談員と話せる時間は？", "家に帰れない")
    _, problems = parse_entries(text, "faq/x.yaml")
    assert _messages(problems) == [
        "15: phrasing '家に帰れない' of entry 'general.hours' is also a phrasing of entry "
        "'youth.housing' (line 7); the matcher could not tell them apart"
    ]


def test_file_level_problems() -> None:
    assert _messages(parse_entries("", "f.yaml")[1]) == [
        "1: the file is empty; an FAQ file needs entries"
    ]
    assert _messages(parse_entries("entries: {}\n", "f.yaml")[1]) == [
        "1: entries must be a list, not a mapping"
    ]
    syntax = parse_entries("entries:\n  - id: [unclosed\n", "f.yaml")[1]
    assert len(syntax) == 1 and syntax[0].message.startswith("invalid YAML")
    assert syntax[0].line == 3


def test_a_missing_folder_is_a_problem(tmp_path: Path) -> None:
    entries, problems = load_entries(tmp_path / "nowhere")
    assert entries == []
    assert _messages(problems) == ["0: FAQ folder not found"]


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes("entries:\n  - id: 夫\n".encode("shift_jis"))
    _, problems = load_entries(tmp_path)
    assert len(problems) == 1 and problems[0].line == 2
    assert "not UTF-8" in problems[0].message


# --- synonyms -----------------------------------------------------------------------------------


def test_the_shipped_synonyms_are_valid_and_cover_the_known_slang() -> None:
    groups, problems = load_synonyms(SHIPPED_SYNONYMS)
    assert problems == []
    assert len(groups) >= 25
    by_term = {term: group.canonical for group in groups for term in group.terms}
    for term, canonical in [
        ("旦那", "夫"),
        ("主人", "夫"),
        ("児相", "児童相談所"),
        ("じそう", "児童相談所"),
        ("ナマポ", "生活保護"),
        ("生保", "生活保護"),
        ("マイナ保険証", "保険証"),
        ("バイト", "アルバイト"),
        ("家を出た", "家出"),
        ("金欠", "お金がない"),
        ("にんしん", "妊娠"),
        ("育児休業", "育休"),
        ("ワンオペ育児", "ワンオペ"),
        ("よなき", "夜泣き"),
        ("いちじほご", "一時保護"),
    ]:
        assert by_term[term] == canonical


def test_a_term_in_two_groups_is_reported_at_its_second_line() -> None:
    text = """\
synonyms:
  - [児童相談所, 児相, じそう]
  - [夫, 旦那]
  - - 相談所
    - ジソウ
  - [生活保護, ナマポ, 生保]
"""
    groups, problems = parse_synonyms(text, "faq/synonyms.yaml")
    assert _messages(problems) == [
        "5: term 'ジソウ' of synonym group 3 is already the term 'じそう' on line 2; "
        "a term can belong to one group only"
    ]
    # The group left with one term is dropped; the others stand.
    assert [group.canonical for group in groups] == ["児童相談所", "夫", "生活保護"]
    assert groups[2].line == 6


def test_synonym_group_problems() -> None:
    text = """\
synonyms:
  - [夫]
  - 旦那
  - [妊娠, "", 3]
"""
    groups, problems = parse_synonyms(text, "s.yaml")
    assert groups == []
    assert _messages(problems) == [
        "2: synonym group 1 has 1 term(s); a group needs at least 2",
        "3: synonym group 2 must be a list, not text",
        "4: a term of synonym group 3 is blank",
        "4: a term of synonym group 3 must be text, not a number (put the text in quotes)",
    ]
    assert _messages(parse_synonyms("words: []\n", "s.yaml")[1]) == [
        "1: unknown key 'words' in the synonym file (allowed: synonyms)",
        "1: the synonym file is missing the required key 'synonyms'",
    ]


def test_a_missing_synonym_file_is_a_problem(tmp_path: Path) -> None:
    groups, problems = load_synonyms(tmp_path / "synonyms.yaml")
    assert groups == []
    assert problems[0].line == 0 and "cannot read the file" in problems[0].message


def test_a_resource_id_used_twice_is_refused_at_its_line() -> None:
    from yorisoi.faq.resources import parse_resources

    shipped = (Path(__file__).resolve().parents[2] / "faq" / "resources.yaml").read_text("utf-8")
    start = shipped.index("  - id: jido_189")
    first = shipped[start : shipped.index("\n  - id: ", start) + 1]
    text = shipped.rstrip("\n") + "\n" + first
    line = shipped.count("\n", 0, start) + 1
    again = text.count("\n", 0, text.rindex("  - id: jido_189")) + 1
    resources, problems = parse_resources(text, "faq/resources.yaml")
    assert [r.id for r in resources].count("jido_189") == 1
    assert [str(p) for p in problems] == [
        f"faq/resources.yaml:{again}: resource id 'jido_189' is already used on line {line}"
    ]
