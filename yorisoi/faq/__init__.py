"""FAQ matching: the entry model, Japanese normalisation, a BM25 index and the matcher.

`load_entries` and `load_synonyms` read and validate `faq/`; `Matcher` answers a message with
an entry only when it is confident, else returns the closest candidates.
"""

from yorisoi.faq.match import Match, Matcher
from yorisoi.faq.model import Entry, SynonymGroup, load_entries, load_synonyms

__all__ = ["Entry", "Match", "Matcher", "SynonymGroup", "load_entries", "load_synonyms"]
