"""Risk screening of inbound messages: the lexicon, its rules, the screener, the crisis reply."""

from yorisoi.safety.lexicon import Level, LexiconInvalid, check_lexicon, load_lexicon
from yorisoi.safety.screen import Screener, Screening, combine, load_screener

__all__ = [
    "Level",
    "LexiconInvalid",
    "Screener",
    "Screening",
    "check_lexicon",
    "combine",
    "load_lexicon",
    "load_screener",
]
