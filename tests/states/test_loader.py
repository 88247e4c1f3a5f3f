"""Tests for loading and validating flow files: real YAML in, model or line-numbered problems out."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from textwrap import dedent

import pytest

from yorisoi.states.loader import load_flow, load_flow_text, load_flows
from yorisoi.states.model import Flow, FlowInvalid, Say
from yorisoi.yamlcheck import ContentProblem

FILE = "states/default.yaml"

# A flow that uses every feature; the line numbers asserted below are counted from here.
VALID = dedent("""\
    flow: default
    description: The default flow
    initial: new
    fallback: menu
    states:
      new:
      greeting:
        description: first contact
        say:
          - text: こんにちは。よりそいです。
          - text: 利用規約に同意しますか？
            buttons:
              - label: 同意する
                trigger: agree
            quick_replies:
              - label: よくある質問
                trigger: choose_faq
        actions: [record_terms_shown]
      menu:
        say:
          - text: メニューです
            quick_replies:
              - label: よくある質問
                trigger: choose_faq
              - label: "yes"
                trigger: say_yes
      faq:
        say:
          - text: 質問をどうぞ
    transitions:
      - trigger: follow
        source: "*"
        dest: greeting
        unless: [has_seen_terms]
      - trigger: agree
        source: greeting
        dest: menu
      - trigger: choose_faq
        source: [greeting, menu]
        dest: faq
        conditions: [is_unblocked]
      - trigger: say_yes
        source: menu
        dest: menu
      - trigger: text
        source: faq
        dest: menu
""")


def menu_flow(menu_say: str) -> str:
    """Return a valid flow whose `menu` state says `menu_say`, which starts on line 20."""
    head = dedent("""\
        flow: default
        initial: new
        fallback: menu
        transitions:
          - trigger: follow
            source: "*"
            dest: menu
          - trigger: pick
            source: "*"
            dest: menu
        states:
          new:
            say:
              - text: ようこそ
                quick_replies:
                  - label: メニュー
                    trigger: pick
          menu:
            say:
    """)
    return head + "".join(f"      {line}\n" for line in dedent(menu_say).splitlines())


def problems_of(text: str, file: str = FILE) -> list[ContentProblem]:
    """Return the problems `text` is refused with."""
    with pytest.raises(FlowInvalid) as caught:
        load_flow_text(text, file)
    return caught.value.problems


def assert_problem(text: str, line: int, phrase: str) -> None:
    """Assert that `text` is refused with a problem at `line` whose message contains `phrase`."""
    found = problems_of(text)
    assert any(p.line == line and phrase in p.message for p in found), "\n".join(map(str, found))


def assert_only(text: str, line: int, phrase: str) -> None:
    """Assert that `text` is refused with exactly one problem, at `line`, containing `phrase`."""
    found = problems_of(text)
    assert len(found) == 1, "\n".join(map(str, found))
    assert (found[0].line, found[0].file) == (line, FILE), str(found[0])
    assert phrase in found[0].message, str(found[0])


# --- a valid flow -------------------------------------------------------------------------------


def test_valid_flow_loads_into_the_model() -> None:
    flow = load_flow_text(VALID, FILE)

    assert (flow.name, flow.initial, flow.fallback) == ("default", "new", "menu")
    assert flow.description == "The default flow"
    assert list(flow.states) == ["new", "greeting", "menu", "faq"]
    assert (flow.file, flow.text) == (FILE, VALID)
    assert flow.sha256 == hashlib.sha256(VALID.encode("utf-8")).hexdigest()

    greeting = flow.states["greeting"]
    assert (greeting.name, greeting.line, greeting.description) == ("greeting", 7, "first contact")
    assert greeting.actions == ("record_terms_shown",)
    assert [say.line for say in greeting.say] == [10, 11]
    assert greeting.say[0] == Say(text="こんにちは。よりそいです。", line=10)
    terms = greeting.say[1]
    assert [(c.label, c.trigger, c.line) for c in terms.buttons] == [("同意する", "agree", 13)]
    assert [(c.label, c.trigger, c.line) for c in terms.quick_replies] == [
        ("よくある質問", "choose_faq", 16)
    ]
    # LINE needs altText on a buttons template; without one the text stands in.
    assert terms.alt_text == "利用規約に同意しますか？"
    assert flow.states["new"].say == ()


def test_choices_and_declared_triggers() -> None:
    flow = load_flow_text(VALID, FILE)

    def triggers(state: str) -> dict[str, str]:
        return {label: choice.trigger for label, choice in flow.choices(state).items()}

    assert triggers("greeting") == {"同意する": "agree", "よくある質問": "choose_faq"}
    assert triggers("menu") == {"よくある質問": "choose_faq", "yes": "say_yes"}
    assert flow.choices("faq") == {}
    assert flow.declared_triggers() == frozenset({"agree", "choose_faq", "say_yes"})


def test_transitions_keep_sources_conditions_and_lines() -> None:
    flow = load_flow_text(VALID, FILE)

    follow, agree, faq, *_ = flow.transitions
    assert (follow.trigger, follow.sources, follow.dest, follow.line) == (
        "follow",
        ("*",),
        "greeting",
        31,
    )
    assert follow.from_any_state and follow.leaves("faq")
    assert follow.unless == ("has_seen_terms",)
    assert agree.sources == ("greeting",)
    assert faq.sources == ("greeting", "menu")
    assert faq.conditions == ("is_unblocked",)
    assert not faq.leaves("new")


def test_flow_is_read_only() -> None:
    flow = load_flow_text(VALID, FILE)

    with pytest.raises(TypeError):
        flow.states["extra"] = flow.states["menu"]  # type: ignore[index]
    assert isinstance(hash(flow), int)


def test_buttons_keep_their_own_alt_text() -> None:
    flow = load_flow_text(
        menu_flow("""\
            - text: どうしますか？
              alt_text: 選んでください
              buttons:
                - label: メニュー
                  trigger: pick
        """),
        FILE,
    )

    assert flow.states["menu"].say[0].alt_text == "選んでください"


def test_merge_keys_override_without_being_duplicates() -> None:
    text = dedent("""\
        flow: default
        initial: new
        fallback: menu
        states:
          new:
          menu: &menu
            say:
              - text: メニュー
          again:
            <<: *menu
            say:
              - text: もう一度
        transitions:
          - trigger: follow
            source: "*"
            dest: menu
          - trigger: text
            source: menu
            dest: again
    """)

    flow = load_flow_text(text, FILE)

    assert flow.states["again"].say[0].text == "もう一度"


# --- YAML itself --------------------------------------------------------------------------------


def test_yaml_syntax_error_reports_its_line() -> None:
    text = dedent("""\
        flow: default
        initial: new
        fallback: menu
        states:
          new:
          menu:
            say:
              - text: メニュー: です
    """)

    [problem] = problems_of(text)

    assert problem.line == 8
    assert "invalid YAML" in problem.message
    assert "mapping values are not allowed here" in problem.message


def test_unquoted_star_source_is_a_syntax_error_on_its_line() -> None:
    text = dedent("""\
        flow: default
        initial: new
        fallback: new
        states:
          new:
        transitions:
          - trigger: follow
            source: *
            dest: new
    """)

    [problem] = problems_of(text)

    assert problem.line == 8
    assert "alias" in problem.message


def test_forbidden_character_reports_its_line() -> None:
    text = "flow: default\ninitial: new\nfallback: \x07menu\n"

    [problem] = problems_of(text)

    assert problem.line == 3
    assert "special characters are not allowed" in problem.message


def test_empty_file() -> None:
    assert_only("# nothing yet\n", 1, "the file is empty")


def test_flow_that_is_not_a_mapping() -> None:
    assert_only("- flow: default\n", 1, "a flow file must be a mapping of keys, not a list")


# --- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "phrase"),
    [
        ("fallback: menu", "fallback: menu\nfallbak: menu", 5, "unknown key 'fallbak' in the flow"),
        ("  new:\n", "  new:\n    sya: hi\n", 7, "unknown key 'sya' in state 'new'"),
        (
            "      - text: 質問をどうぞ",
            "      - text: 質問をどうぞ\n        txt: x",
            30,
            "unknown key 'txt' in say item 1 of state 'faq'",
        ),
        (
            "            trigger: agree",
            "            trigger: agree\n            lable: x",
            15,
            "unknown key 'lable' in button 1 of say item 2 of state 'greeting'",
        ),
        ("    dest: greeting", "    destt: greeting", 33, "unknown key 'destt' in transition 1"),
    ],
    ids=["flow", "state", "say", "choice", "transition"],
)
def test_unknown_keys_are_named_with_the_allowed_ones(
    old: str, new: str, line: int, phrase: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)

    found = problems_of(text)

    [problem] = [p for p in found if "unknown key" in p.message]
    assert problem.line == line
    assert phrase in problem.message
    assert "(allowed: " in problem.message


def test_unknown_key_lists_allowed_keys() -> None:
    text = VALID.replace("fallback: menu", "fallbak: menu")

    found = problems_of(text)

    assert str(found[0]) == (
        "states/default.yaml:1: the flow is missing the required key 'fallback'"
    )
    assert str(found[1]) == (
        "states/default.yaml:4: unknown key 'fallbak' in the flow "
        "(allowed: flow, description, initial, fallback, states, transitions, texts)"
    )


def test_missing_required_key_of_a_transition() -> None:
    text = dedent("""\
        flow: default
        initial: menu
        fallback: menu
        states:
          menu:
        transitions:
          - trigger: follow
            source: "*"
          - trigger: text
            source: menu
            dest: menu
    """)

    assert_only(text, 7, "transition 1 is missing the required key 'dest'")


def test_missing_text_of_a_message() -> None:
    assert_only(
        menu_flow("""\
            - quick_replies:
                - label: メニュー
                  trigger: pick
        """),
        20,
        "say item 1 of state 'menu' is missing the required key 'text'",
    )


def test_duplicate_key_reports_both_lines() -> None:
    text = VALID.replace("    dest: greeting", "    dest: menu\n    dest: greeting")

    assert_only(text, 34, "key 'dest' appears twice in transition 1 (lines 33 and 34)")


def test_duplicate_state_reports_both_lines() -> None:
    text = VALID.replace("  faq:\n", "  menu:\n    say: [{text: again}]\n  faq:\n")

    assert_problem(text, 27, "state 'menu' is defined twice (lines 19 and 27)")


# --- names and types ----------------------------------------------------------------------------


def test_flow_name_must_match_the_file_name() -> None:
    assert_only(VALID.replace("flow: default", "flow: defualt"), 1, "differs from the file name")


def test_flow_name_must_be_a_lowercase_name() -> None:
    found = problems_of(VALID.replace("flow: default", "flow: Default"), "states/Default.yaml")

    assert [(p.line, p.message) for p in found] == [
        (
            1,
            "flow name 'Default' is not valid: use lowercase letters, digits and _, "
            "starting with a letter",
        )
    ]


def test_state_name_must_be_a_lowercase_name() -> None:
    text = (
        VALID.replace("  faq:", "  Faq:")
        .replace("dest: faq", "dest: Faq")
        .replace("source: faq", "source: Faq")
    )

    assert_only(text, 27, "state name 'Faq' is not valid")


def test_number_where_text_is_expected() -> None:
    assert_only(
        menu_flow("- text: 110"),
        20,
        "text of say item 1 of state 'menu' must be text, not a number",
    )


def test_yaml_boolean_as_label() -> None:
    assert_only(
        menu_flow("""\
            - text: どうしますか？
              quick_replies:
                - label: yes
                  trigger: pick
        """),
        22,
        "label of quick reply 1 of say item 1 of state 'menu' must be text, not a boolean",
    )


def test_yaml_boolean_as_state_name() -> None:
    text = VALID.replace("  faq:\n", "  no:\n    say: [{text: いいえ}]\n  faq:\n")

    assert_only(text, 27, "a state name must be text, not a boolean")


def test_states_must_be_a_mapping() -> None:
    text = dedent("""\
        flow: default
        initial: new
        fallback: new
        states:
          - new
        transitions: []
    """)

    assert_problem(text, 4, "states must be a mapping of keys, not a list")


# --- references ---------------------------------------------------------------------------------


def test_initial_must_be_a_defined_state() -> None:
    assert_problem(
        VALID.replace("initial: new", "initial: nwe"),
        3,
        "initial state 'nwe' of the flow is not defined (known: faq, greeting, menu, new)",
    )


def test_fallback_must_be_a_defined_state() -> None:
    assert_problem(
        VALID.replace("fallback: menu", "fallback: mneu"),
        4,
        "fallback state 'mneu' of the flow is not defined",
    )


def test_transition_to_unknown_state() -> None:
    text = VALID.replace("    dest: faq", "    dest: fqa")

    found = problems_of(text)

    assert [str(p) for p in found] == [
        "states/default.yaml:27: state 'faq' cannot be reached from the initial state 'new'",
        "states/default.yaml:40: transition to unknown state 'fqa' "
        "(known: faq, greeting, menu, new)",
    ]


def test_transition_from_unknown_state() -> None:
    text = VALID.replace("source: [greeting, menu]", "source: [greeting, menu, mneu]")

    assert_only(text, 39, "transition from unknown state 'mneu'")


def test_transition_from_unknown_state_in_a_block_list() -> None:
    text = VALID.replace(
        "    source: [greeting, menu]", "    source:\n      - greeting\n      - menu\n      - mneu"
    )

    assert_only(text, 42, "transition from unknown state 'mneu'")


def test_star_inside_a_list_of_sources() -> None:
    text = VALID.replace("source: [greeting, menu]", 'source: [greeting, "*"]')

    assert_problem(text, 39, 'write source: "*" alone')


def test_unknown_trigger() -> None:
    text = VALID.replace("trigger: say_yes\n    source", "trigger: say_no\n    source")

    assert_problem(
        text,
        42,
        "unknown trigger 'say_no' in transition 4: neither an event trigger "
        "(faq_category, faq_entry, faq_helpful, follow, location, media, operator_closed, "
        "postback, sticker, text) nor declared",
    )


def test_unknown_action_lists_the_known_ones() -> None:
    text = VALID.replace("[record_terms_shown]", "[record_terms_shown, send_terms]")

    assert_only(
        text,
        18,
        "unknown action 'send_terms' in state 'greeting' (known: faq_answer, faq_categories, "
        "faq_entries, faq_search, finish_intake, open_handoff_case, open_message_case, "
        "open_vent_case, record_faq_feedback, record_feedback, record_intake, "
        "record_terms_shown, record_vent_audience, skip_intake, start_venting)",
    )


def test_unknown_condition_lists_the_known_ones() -> None:
    text = VALID.replace("[is_unblocked]", "[is_blocked]")

    assert_only(
        text,
        41,
        "unknown condition 'is_blocked' in transition 3 (known: age_known, has_seen_terms, "
        "intake_done, is_minor, is_unblocked, responder_available, within_hours)",
    )


def test_unknown_unless_condition_on_its_own_line() -> None:
    text = VALID.replace("    unless: [has_seen_terms]", "    unless:\n      - seen_terms")

    assert_only(text, 35, "unknown condition 'seen_terms' in transition 1")


# --- the shape of the conversation --------------------------------------------------------------


def test_unreachable_state() -> None:
    text = VALID.replace("    dest: faq", "    dest: menu")

    assert_only(text, 27, "state 'faq' cannot be reached from the initial state 'new'")


def test_fallback_and_star_make_states_reachable() -> None:
    text = dedent("""\
        flow: default
        initial: new
        fallback: sorry
        states:
          new:
          sorry:
            say:
              - text: ごめんなさい、わかりませんでした
          help:
            say:
              - text: ヘルプです
        transitions:
          - trigger: postback
            source: sorry
            dest: help
          - trigger: text
            source: "*"
            dest: sorry
    """)

    flow = load_flow_text(text, FILE)

    assert list(flow.states) == ["new", "sorry", "help"]


def test_dead_end_state() -> None:
    text = dedent("""\
        flow: default
        initial: new
        fallback: menu
        states:
          new:
          menu:
            say:
              - text: メニュー
          bye:
            say:
              - text: さようなら
        transitions:
          - trigger: follow
            source: new
            dest: menu
          - trigger: text
            source: menu
            dest: bye
    """)

    assert_only(text, 9, "state 'bye' is a dead end: no transition leaves it")


def test_state_that_says_nothing() -> None:
    text = VALID.replace(
        "  faq:\n    say:\n      - text: 質問をどうぞ\n", "  faq:\n    description: empty\n"
    )

    assert_only(text, 27, "state 'faq' says nothing and runs no actions")


def test_initial_state_may_say_nothing() -> None:
    assert load_flow_text(VALID, FILE).states["new"].say == ()


def test_blank_text() -> None:
    assert_only(menu_flow('- text: "  "'), 20, "text of say item 1 of state 'menu' is blank")


def test_blank_label() -> None:
    assert_only(
        menu_flow("""\
            - text: どうしますか？
              quick_replies:
                - label: " "
                  trigger: pick
        """),
        22,
        "label ' ' of quick reply 1 of say item 1 of state 'menu' is blank",
    )


def test_quick_reply_without_a_transition_from_its_state() -> None:
    text = VALID.replace("    source: [greeting, menu]", "    source: greeting")

    assert_only(
        text,
        23,
        "quick reply 'よくある質問' in state 'menu' fires 'choose_faq', but no transition on "
        "'choose_faq' leaves 'menu'",
    )


def test_button_without_a_transition_from_its_state() -> None:
    text = VALID.replace(
        "  - trigger: agree\n    source: greeting", "  - trigger: agree\n    source: menu"
    )

    assert_only(text, 13, "button '同意する' in state 'greeting' fires 'agree'")


def test_quick_replies_only_on_the_last_message() -> None:
    assert_only(
        menu_flow("""\
            - text: はじめまして
              quick_replies:
                - label: メニュー
                  trigger: pick
            - text: どうしますか？
        """),
        21,
        "quick_replies on say item 1 of state 'menu', which is not the last message",
    )


def test_same_label_twice_in_one_state() -> None:
    assert_only(
        menu_flow("""\
            - text: どうしますか？
              buttons:
                - label: メニュー
                  trigger: pick
              quick_replies:
                - label: メニュー
                  trigger: follow
        """),
        25,
        "label 'メニュー' is used twice in state 'menu' (lines 22 and 25)",
    )


# --- LINE's limits ------------------------------------------------------------------------------


def choice_items(count: int) -> str:
    """Return `count` quick reply or button items with distinct labels."""
    return "".join(f"    - label: 選択{n}\n      trigger: pick\n" for n in range(1, count + 1))


def test_at_most_five_messages() -> None:
    say = "".join(f"- text: メッセージ{n}\n" for n in range(1, 7))

    assert_only(menu_flow(say), 25, "say of state 'menu' has 6 messages; LINE sends at most 5")


def test_five_messages_are_fine() -> None:
    say = "".join(f"- text: メッセージ{n}\n" for n in range(1, 6))

    assert len(load_flow_text(menu_flow(say), FILE).states["menu"].say) == 5


def test_at_most_thirteen_quick_replies() -> None:
    say = "- text: どれにしますか？\n  quick_replies:\n" + choice_items(14)

    # 14th item: line 22 + 2 lines per item.
    assert_only(menu_flow(say), 48, "has 14 quick_replies; LINE allows at most 13")


def test_at_most_four_buttons() -> None:
    say = "- text: どれにしますか？\n  buttons:\n" + choice_items(5)

    assert_only(menu_flow(say), 30, "has 5 buttons; LINE allows at most 4")


def test_empty_quick_replies() -> None:
    say = "- text: どれにしますか？\n  quick_replies: []\n"

    assert_only(menu_flow(say), 21, "quick_replies of say item 1 of state 'menu' is empty")


def test_empty_say() -> None:
    text = VALID.replace("      - text: 質問をどうぞ\n", "").replace(
        "  faq:\n    say:\n", "  faq:\n    say: []\n"
    )

    assert_only(text, 28, "say of state 'faq' is empty")


def test_label_at_most_twenty_characters() -> None:
    say = (
        f"- text: どうしますか？\n  quick_replies:\n    - label: {'あ' * 21}\n      trigger: pick\n"
    )

    assert_only(menu_flow(say), 22, "is 21 characters; LINE allows at most 20")


def test_text_at_most_five_thousand_characters() -> None:
    assert_only(
        menu_flow(f"- text: {'あ' * 5001}"), 20, "is 5001 characters; LINE allows at most 5000"
    )


def test_text_at_most_160_characters_with_buttons() -> None:
    say = f"- text: {'あ' * 161}\n  buttons:\n    - label: メニュー\n      trigger: pick\n"

    assert_only(menu_flow(say), 20, "is 161 characters; LINE allows at most 160 with buttons")


def test_alt_text_at_most_400_characters() -> None:
    say = f"- text: どうぞ\n  alt_text: {'あ' * 401}\n  buttons:\n    - label: メニュー\n      trigger: pick\n"

    assert_only(menu_flow(say), 21, "alt_text of say item 1 of state 'menu' is 401 characters")


def test_alt_text_only_with_buttons() -> None:
    assert_only(
        menu_flow("- text: どうぞ\n  alt_text: どうぞ\n"), 21, "alt_text on say item 1 of state"
    )


def test_trigger_at_most_64_characters() -> None:
    trigger = "t" * 65
    text = VALID.replace("say_yes", trigger)

    assert_only(
        text, 26, f"trigger '{trigger}' of quick reply 2 of say item 1 of state 'menu' is 65"
    )


def test_trigger_must_be_a_name() -> None:
    text = VALID.replace("say_yes", "Say-Yes")

    assert_problem(text, 26, "trigger 'Say-Yes' of quick reply 2 of say item 1 of state 'menu'")


# --- collecting problems ------------------------------------------------------------------------


def test_all_problems_are_reported_sorted_by_line() -> None:
    text = (
        VALID.replace("initial: new", "initial: nwe")
        .replace("[record_terms_shown]", "[unknown_action]")
        .replace("    dest: faq", "    dest: fqa")
    )

    found = problems_of(text)

    # `new` is no longer the initial state, so it now says nothing; with no initial state
    # reachability is not judged, or every state would be reported.
    assert [(p.line, p.message.split(" (")[0]) for p in found] == [
        (3, "initial state 'nwe' of the flow is not defined"),
        (6, "state 'new' says nothing and runs no actions; give it say or actions"),
        (18, "unknown action 'unknown_action' in state 'greeting'"),
        (40, "transition to unknown state 'fqa'"),
    ]


def test_problem_and_error_text() -> None:
    error = FlowInvalid([ContentProblem(FILE, 3, "first"), ContentProblem(FILE, 9, "second")])

    assert str(error.problems[0]) == "states/default.yaml:3: first"
    assert str(error) == "states/default.yaml:3: first\nstates/default.yaml:9: second"
    assert pickle.loads(pickle.dumps(error)).problems == error.problems


# --- files and folders --------------------------------------------------------------------------


def test_load_flow_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text(VALID, encoding="utf-8")

    flow = load_flow(path)

    assert isinstance(flow, Flow)
    assert (flow.name, flow.file) == ("default", str(path))


def test_load_flow_reports_bad_utf8_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    text = VALID.replace("メニューです", "menu-text").encode("utf-8")
    path.write_bytes(text.replace(b"menu-text", b"m\xe9nu-text"))

    with pytest.raises(FlowInvalid) as caught:
        load_flow(path)

    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 21)
    assert "not UTF-8" in problem.message


def test_load_flow_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FlowInvalid) as caught:
        load_flow(tmp_path / "nope.yaml")

    assert "cannot read the file" in caught.value.problems[0].message


def test_load_flows_collects_good_flows_and_problems_of_bad_ones(tmp_path: Path) -> None:
    states = tmp_path / "states"
    states.mkdir()
    (states / "default.yaml").write_text(VALID, encoding="utf-8")
    (states / "youth.yml").write_text(VALID.replace("flow: default", "flow: youth"), "utf-8")
    broken = VALID.replace("flow: default", "flow: broken\nfallback: menu: oops")
    (states / "broken.yaml").write_text(broken, encoding="utf-8")
    mothers = VALID.replace("flow: default", "flow: mothers").replace("dest: faq", "dest: fqa")
    (states / "mothers.yaml").write_text(mothers, encoding="utf-8")
    (states / "notes.txt").write_text("not a flow", encoding="utf-8")

    flows, problems = load_flows(states)

    assert sorted(flows) == ["default", "youth"]
    assert flows["youth"].file == str(states / "youth.yml")
    assert [(Path(p.file).name, p.line) for p in problems] == [
        ("broken.yaml", 2),
        ("mothers.yaml", 27),
        ("mothers.yaml", 40),
    ]
    assert "mapping values are not allowed here" in problems[0].message
    assert "transition to unknown state 'fqa'" in problems[2].message


def test_load_flows_refuses_a_second_file_for_the_same_flow(tmp_path: Path) -> None:
    (tmp_path / "default.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "default.yml").write_text(VALID, encoding="utf-8")

    flows, problems = load_flows(tmp_path)

    assert list(flows) == ["default"]
    assert [(Path(p.file).name, p.message) for p in problems] == [
        ("default.yml", f"flow 'default' is also defined in {tmp_path / 'default.yaml'}")
    ]


def test_load_flows_reports_a_missing_folder(tmp_path: Path) -> None:
    flows, problems = load_flows(tmp_path / "states")

    assert flows == {}
    assert problems == [ContentProblem(str(tmp_path / "states"), 0, "flow folder not found")]
