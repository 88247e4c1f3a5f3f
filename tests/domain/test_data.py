"""ConversationData: typed, and stored with the same keys as the untyped dict it replaces."""

from __future__ import annotations

from yorisoi.domain.data import ConversationData, Intake


def test_stored_data_reads_and_writes_back_unchanged() -> None:
    stored = {
        "intake": {
            "age_band": "16-17",
            "gender": "declined",
            "done_at": "2026-12-01T10:00:00+00:00",
        },
        "topic": "mothers",
        "terms_shown_at": "2026-12-01T09:59:00+00:00",
        "risk": "concern",
        "risk_signals": [["concern", "2026-12-01T10:01:00+00:00"]],
        "faq_answers": [{"id": "sumai", "score": 0.8, "at": "2026-12-01T10:02:00+00:00"}],
        "morning_sent_on": "2026-12-02",
    }
    data = ConversationData.from_dict(stored)
    assert data.intake.age_band == "16-17" and data.intake.done
    assert data.topic == "mothers" and data.risk == "concern"
    assert data.to_dict() == stored


def test_keys_this_version_does_not_know_are_kept() -> None:
    stored = {"intake": {"age_band": "20s", "nickname_hint": "x"}, "future_field": [1, 2]}
    data = ConversationData.from_dict(stored)
    assert data.to_dict() == stored
    assert not data.intake.done


def test_an_empty_conversation_stores_an_empty_object() -> None:
    assert ConversationData().to_dict() == {}
    assert ConversationData.from_dict(None).to_dict() == {}
    assert Intake.from_dict("not an object") == Intake()


def test_odd_values_read_as_unset_not_as_errors() -> None:
    data = ConversationData.from_dict({"risk": 3, "faq_answers": "x", "intake": []})
    assert data.risk is None and data.faq_answers == [] and data.intake == Intake()


def test_a_copy_is_independent() -> None:
    data = ConversationData.from_dict({"topic": "youth"})
    copy = data.copy()
    copy.topic = "general"
    copy.intake.age_band = "20s"
    assert data.topic == "youth" and data.intake.age_band is None


def test_recent_lists_keep_the_newest() -> None:
    items: list[dict[str, object]] = []
    for n in range(25):
        items = ConversationData.keep_recent(items, {"n": n}, 20)
    assert len(items) == 20 and items[0] == {"n": 5} and items[-1] == {"n": 24}
