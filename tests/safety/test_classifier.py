"""The learned risk classifier: shipped weights match their training data; failures are concern."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from yorisoi.safety.classifier import (
    CLASSES,
    WEIGHTS,
    Fitted,
    Support,
    features,
    fit,
    load_classifier,
    probabilities,
    save_classifier,
    training_digest,
    weights_note,
)
from yorisoi.safety.lexicon import DEFAULT_LEXICON, Level, load_lexicon
from yorisoi.safety.screen import (
    CLASSIFIER_ERROR,
    CLASSIFIER_UNAVAILABLE,
    Screener,
)
from yorisoi.safety.similar import Match

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _fit_module() -> object:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(
        "risk_classifier_fit", BENCH / "risk_classifier_fit.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def screener() -> Screener:
    screener = Screener(load_lexicon(DEFAULT_LEXICON))
    assert screener.classifier is not None, "classifier.npz missing or stale"
    return screener


def test_the_shipped_weights_were_fitted_on_the_current_training_data() -> None:
    rows = _fit_module().training_rows()  # type: ignore[attr-defined]
    assert load_classifier(WEIGHTS).digest == training_digest(rows), (
        "tune split or lexicon examples changed: run bench/risk_classifier_fit.py"
    )


def test_fit_separates_two_clusters() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(c, 0.05, (20, 4)) for c in (-1.0, 0.0, 1.0)])
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-9
    y = np.repeat(np.arange(3), 20)
    fitted = fit(x, y, penalty=1e-4)
    assert (probabilities(fitted, x).argmax(axis=1)[[0, 59]] == [0, 2]).all()


def _toy_support(n: int = 60) -> tuple[Support, object, np.ndarray, list[str]]:
    """Fit the kernel head on `n` random messages, half `high`, as the fit script does."""
    rng = np.random.default_rng(1)
    labels = np.arange(n) % 2 == 0
    embeddings = rng.normal(0.0, 1.0, (n, 512)) + labels[:, None] * 0.3
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    texts = [("死にたい" if high else "こんにちは") + str(i) for i, high in enumerate(labels)]

    def embed(more: list[str]) -> np.ndarray:  # the hiragana variants: near their originals
        return np.vstack(
            [embeddings[texts.index(t)] if t in texts else embeddings[0] for t in more]
        )

    fit_support = _fit_module().fit_support  # type: ignore[attr-defined]
    support, model = fit_support(embed, embeddings, texts, labels)
    return support, model, embeddings, texts


def test_the_numpy_kernel_head_decides_as_scikit_learn_does() -> None:
    support, model, embeddings, texts = _toy_support()
    x = features(embeddings, texts)
    ours = support.kernel().decision(x)
    theirs = model.decision_function(x)  # type: ignore[attr-defined]
    assert np.allclose(ours, theirs, atol=1e-4)
    assert (ours > 0).sum() > 0 and (ours < 0).sum() > 0
    # One message at a time it reads only its grams' rows: the same decisions.
    kernel = support.kernel()
    one_by_one = [kernel.decision(x[i : i + 1])[0] for i in range(len(x))]
    assert np.allclose(one_by_one, ours, atol=1e-4)


def test_saved_weights_load_with_the_same_decisions(tmp_path: Path) -> None:
    support, model, embeddings, texts = _toy_support()
    linear = Fitted(np.zeros((512 + 2048, 3)), np.zeros(3))
    path = tmp_path / "classifier.npz"
    save_classifier(path, linear, support, high=0.1, concern=0.5, digest="d", solo=0.2)
    loaded = load_classifier(path)
    assert (loaded.high, loaded.concern, loaded.solo, loaded.digest) == (0.1, 0.5, 0.2, "d")
    x = features(embeddings, texts)
    # The support embeddings are stored in half precision: the decisions barely move.
    assert np.allclose(loaded.kernel.decision(x), model.decision_function(x), atol=5e-3)  # type: ignore[attr-defined]


def test_weights_without_a_kernel_head_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "classifier.npz"
    np.savez(path, weights=np.zeros((4, 3)), bias=np.zeros(3), thresholds=np.zeros(3))
    with pytest.raises(ValueError, match="kernel head"):
        load_classifier(path)


def test_features_are_unit_length() -> None:
    vectors = features(np.ones((2, 512)) / np.sqrt(512), ["死にたい", "こんにちは"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert len(CLASSES) == 3


@pytest.mark.parametrize(
    ("message", "level"),
    [("死にたい", Level.HIGH), ("死ぬほど笑った", Level.NONE), ("今日は天気がいいね", Level.NONE)],
)
def test_the_issue_examples_hold(screener: Screener, message: str, level: Level) -> None:
    assert screener.screen(message).level is level


Verdict = Callable[..., None]


@pytest.fixture
def verdict(screener: Screener, monkeypatch: pytest.MonkeyPatch) -> Verdict:
    """Make the shipped classifier say `level` (and whether it is sure) of every message."""
    assert screener.classifier is not None

    def say(level: str, *, sure: bool = False) -> None:
        monkeypatch.setattr(type(screener.classifier), "judge", lambda *_args: (level, sure))

    return say


def test_an_idiom_caps_the_classifier_at_concern(screener: Screener, verdict: Verdict) -> None:
    verdict("high")
    assert screener.screen("死ぬほど笑った").level is Level.CONCERN
    assert screener.screen("死にたいわけじゃない").level is Level.CONCERN
    # Alone (no rule, no similarity behind it) the classifier raises to concern, not high.
    assert screener.screen("今日は天気がいいね").level is Level.CONCERN
    # With a rule's concern behind it, its high stands.
    assert screener.screen("もう限界").level is Level.HIGH


def test_a_sure_classifier_says_high_alone_but_never_past_an_idiom(
    screener: Screener, verdict: Verdict
) -> None:
    verdict("high", sure=True)
    assert screener.screen("今日は天気がいいね、散歩に行こう").level is Level.HIGH
    assert screener.screen("死ぬほど笑った").level is Level.CONCERN
    # Short lines are where it has seen least: alone, it raises them to concern only.
    assert screener.screen("まだ おきてる 1").level is Level.CONCERN


def test_similarity_alone_says_high_only_with_the_classifier(
    screener: Screener, verdict: Verdict, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert screener.similarity is not None
    close = Match(risk=0.99, margin=0.9, category="suicide")
    monkeypatch.setattr(type(screener.similarity), "score", lambda *_args: close)
    verdict("concern")
    assert screener.screen("今日は天気がいいね").level is Level.CONCERN
    verdict("high")
    assert screener.screen("今日は天気がいいね").level is Level.HIGH


def test_a_classifier_failing_on_a_message_makes_it_concern(
    screener: Screener, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert screener.classifier is not None

    def broken(*_args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(type(screener.classifier), "judge", broken)
    result = screener.screen("今日は天気がいいね")
    assert result.level is Level.CONCERN
    assert CLASSIFIER_ERROR in result.reasons
    assert screener.screen("死にたい").level is Level.HIGH


def test_missing_weights_leave_rules_and_similarity(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise FileNotFoundError("classifier.npz")

    monkeypatch.setattr("yorisoi.safety.screen.load_classifier", missing)
    screener = Screener(load_lexicon(DEFAULT_LEXICON))
    assert screener.classifier is None
    result = screener.screen("今日は天気がいいね")
    assert result.level is Level.NONE
    assert CLASSIFIER_UNAVAILABLE in result.reasons


def test_weights_note_says_when_the_weights_do_not_fit(tmp_path: Path) -> None:
    lexicon = load_lexicon(DEFAULT_LEXICON)
    assert weights_note(lexicon) is None
    other = type(lexicon)(lexicon.file, lexicon.entries, lexicon.negations, safe_examples=("はい",))
    assert "fitted on other examples" in (weights_note(other) or "")
    broken = tmp_path / "classifier.npz"
    broken.write_bytes(b"not an npz")
    assert "unreadable" in (weights_note(lexicon, broken) or "")
