"""Tests for the shipped FAQ content and `FaqLibrary`: menus, matching, answers as LINE messages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from yorisoi.faq.library import MAX_MENU, FaqLibrary, check_faq
from yorisoi.faq.resources import Resource

FAQ = Path(__file__).resolve().parents[2] / "faq"

# Issue 3, item 1: the entries that must exist.
REQUIRED_IDS = {
    "youth.housing",
    "youth.money",
    "youth.violence",
    "youth.jido_soudanjo",
    "youth.welfare",
    "youth.apartment",
    "youth.insurance",
    "youth.school",
    "youth.work",
    "youth.pregnancy",
    "youth.id_documents",
    "youth.legal",
    "youth.care_leaver",
    "mothers.night_crying",
    "mothers.irritation",
    "mothers.postpartum",
    "mothers.loneliness",
    "mothers.rest",
    "mothers.partner",
    "mothers.child_development",
    "general.anonymous",
    "general.hours",
    "general.cost",
    "general.delete",
    "general.what_is_this",
}
HELPFUL = "yorisoi:t=faq_helpful&v="
HUMAN = "yorisoi:t=choose_human"


@pytest.fixture(scope="module")
def library() -> FaqLibrary:
    loaded, problems = FaqLibrary.load(FAQ)
    assert problems == []
    assert loaded is not None
    return loaded


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(message["text"] for message in messages)


# --- content --------------------------------------------------------------------------------


def test_the_shipped_faq_loads_without_problems() -> None:
    assert check_faq(FAQ) == []


def test_every_entry_issue_3_asks_for_exists(library: FaqLibrary) -> None:
    assert REQUIRED_IDS <= {entry.id for entry in library.entries}


def test_every_resource_an_entry_names_exists(library: FaqLibrary) -> None:
    for entry in library.entries:
        for resource_id in entry.resources:
            assert resource_id in library.resources, (entry.id, resource_id)


def test_every_resource_says_where_it_was_checked(library: FaqLibrary) -> None:
    for resource in library.resources.values():
        assert resource.sources and resource.checked, resource.id


def test_answers_carry_no_phone_numbers_of_their_own(library: FaqLibrary) -> None:
    # Numbers live in resources.yaml, where they are checked; 110 and 119 are the exception.
    phone = re.compile(r"\d{2,5}-\d{1,4}-\d{3,4}|#\d{4}|\b189\b")
    for entry in library.entries:
        assert not phone.search(entry.answer), entry.id


def test_answers_for_young_readers_fit_one_message(library: FaqLibrary) -> None:
    for entry in library.entries:
        assert 0 < len(entry.answer) <= 1000, entry.id


# --- menus ----------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["youth", "mothers", None])
def test_menus_fit_quick_replies(library: FaqLibrary, audience: str | None) -> None:
    categories = library.categories(audience)
    if audience is not None:
        assert len(categories) <= MAX_MENU
    for category in categories:
        assert len(category.label) <= 20
        entries = library.entries_in(category.id, audience)
        assert 0 < len(entries) <= MAX_MENU
        assert all(len(entry.menu_label) <= 20 for entry in entries)


@pytest.mark.parametrize("audience", ["youth", "mothers"])
def test_every_entry_of_an_audience_is_reachable_from_its_menus(
    library: FaqLibrary, audience: str
) -> None:
    reachable = {
        entry.id
        for category in library.categories(audience)
        for entry in library.entries_in(category.id, audience)
    }
    wanted = {e.id for e in library.entries if e.audience in (audience, "general")}
    assert reachable == wanted


def test_an_audience_sees_its_own_menus_first_and_general_last(library: FaqLibrary) -> None:
    youth = library.categories("youth")
    assert "youth" in youth[0].audiences
    assert youth[-1].audiences == ("general",)
    assert all("mothers" not in category.audiences for category in youth)


def test_category_menu_sends_the_category_as_a_postback_value(library: FaqLibrary) -> None:
    message = library.category_menu("どれについて知りたいですか？", "youth")
    items = message["quickReply"]["items"]
    first = library.categories("youth")[0]
    assert items[0]["action"]["label"] == first.label
    assert items[0]["action"]["data"].startswith("yorisoi:t=faq_category&v=%")
    assert len(items) <= 13


def test_entry_menu_sends_entry_ids(library: FaqLibrary) -> None:
    category = library.entry("youth.apartment").category  # type: ignore[union-attr]
    message = library.entry_menu("どの質問ですか？", category, "youth")
    data = [item["action"]["data"] for item in message["quickReply"]["items"]]
    assert "yorisoi:t=faq_entry&v=youth.apartment" in data


# --- matching -------------------------------------------------------------------------------


def test_done_when_a_guarantor_question_is_answered(library: FaqLibrary) -> None:
    result = library.match("保証人いないけど部屋借りれる？")
    assert result.hit is not None and result.hit.id == "youth.apartment"


def test_done_when_thanks_gets_no_answer(library: FaqLibrary) -> None:
    assert library.match("ありがとう").hit is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("じそうにでんわしたらおやにばれる？", "youth.jido_soudanjo"),
        ("ほけんしょうない", "youth.insurance"),
        ("夜泣きで毎晩ねれてない", "mothers.night_crying"),
        ("だんなが何もしてくれない", "mothers.partner"),
        ("このチャットって無料？", "general.cost"),
    ],
)
def test_plain_questions_find_their_entry(library: FaqLibrary, text: str, expected: str) -> None:
    result = library.match(text)
    assert result.hit is not None and result.hit.id == expected


def test_not_faq_examples_get_no_answer(library: FaqLibrary) -> None:
    for text in library.matcher.not_faq:
        assert library.match(text).hit is None, text


def test_did_you_mean_offers_candidates_and_a_human(library: FaqLibrary) -> None:
    result = library.match("子どもを預けたいし夫とも話したい")
    message = library.did_you_mean(result, "どれのことですか？", floor=0.0)
    assert message is not None
    data = [item["action"]["data"] for item in message["quickReply"]["items"]]
    assert data[-1] == HUMAN
    assert all(d.startswith("yorisoi:t=faq_entry&v=") for d in data[:-1])


# --- answers --------------------------------------------------------------------------------


@pytest.mark.parametrize("minor", [True, False, None])
def test_answers_respect_line_limits(library: FaqLibrary, minor: bool | None) -> None:
    for entry in library.entries:
        messages = library.answer_messages(entry.id, minor=minor)
        assert 2 <= len(messages) <= 5
        assert messages[0] == {"type": "text", "text": entry.answer.strip()}
        for message in messages:
            assert message["type"] == "text"
            assert 0 < len(message["text"]) <= 5000
        items = messages[-1]["quickReply"]["items"]
        assert [item["action"]["label"] for item in items] == ["役に立った", "相談員と話したい"]
        assert [item["action"]["data"] for item in items] == [HELPFUL + entry.id, HUMAN]
        for item in items:
            assert len(item["action"]["label"]) <= 20
            assert len(item["action"]["data"]) <= 300
        assert all("quickReply" not in message for message in messages[:-1])


def _blocks(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Return each resource's own block of text, by the resource name that heads it."""
    blocks: dict[str, str] = {}
    for message in messages[1:-1]:
        for block in message["text"].split("\n\n"):
            if block.startswith("■ "):
                name, _, rest = block[2:].partition("\n")
                blocks[name] = rest
    return blocks


@pytest.mark.parametrize("minor", [True, False, None])
def test_unverified_details_never_reach_users(library: FaqLibrary, minor: bool | None) -> None:
    hidden_somewhere = 0
    for entry in library.entries:
        messages = library.answer_messages(entry.id, minor=minor)
        everything = json.dumps(messages, ensure_ascii=False)
        blocks = _blocks(messages)
        for resource_id in entry.resources:
            resource = library.resources[resource_id]
            for detail, value in resource.hidden.items():
                hidden_somewhere += 1
                if detail in ("phone", "url"):
                    # Numbers and addresses are specific: nowhere in the reply at all.
                    assert value not in everything, (entry.id, resource.id, detail)
                elif resource.name in blocks:
                    assert value not in blocks[resource.name], (entry.id, resource.id, detail)
    assert hidden_somewhere > 0  # the shipped content does have unverified details


def test_verified_details_are_shown(library: FaqLibrary) -> None:
    text = _texts(library.answer_messages("youth.violence", minor=True))
    assert "0120-0-78310" in text  # 24時間子供SOSダイヤル, checked on the MEXT page
    assert "189" in text


def test_minors_see_youth_resources_first(library: FaqLibrary) -> None:
    order = [r.audience for r in library._resources_for(library.entry("mothers.partner"), True)]  # type: ignore[arg-type]
    assert order == sorted(order, key=lambda audience: audience != "youth")
    # youth.money lists the general town window before 189: a minor sees 189 first.
    for minor, first in ((True, "■ 児童相談所虐待対応ダイヤル"), (None, "■ 生活に困っている人")):
        text = _texts(library.answer_messages("youth.money", minor=minor))
        assert text.index("■ ") == text.index(first)


def test_lines_only_for_children_are_left_out_for_adults(library: FaqLibrary) -> None:
    assert "チャイルドライン" in _texts(library.answer_messages("youth.violence", minor=True))
    assert "チャイルドライン" in _texts(library.answer_messages("youth.violence", minor=None))
    assert "チャイルドライン" not in _texts(library.answer_messages("youth.violence", minor=False))


def test_an_entry_without_resources_has_answer_and_closing_only(library: FaqLibrary) -> None:
    messages = library.answer_messages("general.cost", minor=None)
    assert len(messages) == 2


def test_an_unknown_entry_id_raises(library: FaqLibrary) -> None:
    with pytest.raises(KeyError):
        library.answer_messages("youth.nothing", minor=None)


# --- loading a folder -----------------------------------------------------------------------

ENTRY = """\
entries:
  - id: youth.housing
    category: 住む場所
    audience: youth
    question: 今夜泊まるところがない
    answer: 相談できる窓口があります。
    resources:
      - shelter
      - nowhere
"""
RESOURCES = """\
resources:
  - id: shelter
    name: シェルター
    purpose: 泊まれる場所です。
    phone: 0120-000-000
    hours: 24時間
    checked: 2026-11-23
    source: ["https://example.org/ (the organisation)"]
    unverified: [phone]
"""


def _folder(tmp_path: Path, entries: str = ENTRY, resources: str = RESOURCES) -> Path:
    (tmp_path / "youth.yaml").write_text(entries, encoding="utf-8")
    (tmp_path / "resources.yaml").write_text(resources, encoding="utf-8")
    return tmp_path


def test_an_unknown_resource_id_refuses_the_folder_naming_its_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    library, problems = FaqLibrary.load(folder, semantic=False)
    assert library is None
    assert [str(p) for p in problems] == [
        f"{folder / 'youth.yaml'}:9: resource 'nowhere' of entry 'youth.housing' is not in "
        "resources.yaml"
    ]


def test_an_unverified_phone_is_replaced_by_an_offer_to_look_it_up(tmp_path: Path) -> None:
    folder = _folder(tmp_path, ENTRY.replace("      - nowhere\n", ""))
    library, problems = FaqLibrary.load(folder, semantic=False)
    assert problems == [] and library is not None
    text = _texts(library.answer_messages("youth.housing", minor=None))
    assert "0120-000-000" not in text
    assert "時間：24時間" in text
    assert "連絡先は、相談員がいっしょに調べます。" in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    phone: 0120-000-000\n", "    phone: call us\n"), "5: phone 'call us'"),
        (("    checked: 2026-11-23\n", "    checked: soon\n"), "7: checked of resource"),
        (("    unverified: [phone]\n", "    unverified: [email]\n"), "9: unverified of resource"),
        (("    name: シェルター\n", "    name: シェルター 0120000000\n"), "3: name of resource"),
        (
            ('    source: ["https://example.org/ (the organisation)"]\n', "    source: []\n"),
            "8: source of resource",
        ),
    ],
)
def test_resource_problems_name_their_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    folder = _folder(tmp_path, ENTRY.replace("      - nowhere\n", ""), RESOURCES.replace(*change))
    library, problems = FaqLibrary.load(folder, semantic=False)
    assert library is None
    assert any(f"resources.yaml:{expected}" in str(p) for p in problems), problems


def test_resource_shown_hides_unverified_details() -> None:
    resource = Resource(
        id="x",
        name="X",
        purpose="p",
        details={"phone": "0120-1-2", "hours": "毎日"},
        unverified=frozenset({"phone"}),
    )
    assert resource.shown("phone") is None
    assert resource.shown("hours") == "毎日"
    assert resource.hidden == {"phone": "0120-1-2"}


def test_a_category_too_long_for_a_menu_is_refused(tmp_path: Path) -> None:
    items = "".join(
        f"  - id: youth.q{n}\n    category: 多い\n    audience: youth\n"
        f"    question: 質問その{n}\n    answer: 答え\n"
        for n in range(13)
    )
    (tmp_path / "youth.yaml").write_text("entries:\n" + items, encoding="utf-8")
    library, problems = FaqLibrary.load(tmp_path, semantic=False)
    assert library is None
    assert "category '多い' has 13 entries" in str(problems[0])
    assert problems[0].line == 62
