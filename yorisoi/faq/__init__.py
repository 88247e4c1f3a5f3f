"""FAQ matching: the entry model, Japanese normalisation, a BM25 index and the matcher.

`FaqLibrary.load(faq_dir)` is the entry point for the conversation: it reads and checks
`faq/` (entries, synonyms, referral resources, not-FAQ examples) and offers menus, `match`
and `answer_messages`. `Matcher` answers a message with an entry only when it is confident,
else returns the closest candidates.
"""

from yorisoi.faq.library import Category, FaqLibrary, check_faq
from yorisoi.faq.match import Match, Matcher
from yorisoi.faq.model import Entry, SynonymGroup, load_entries, load_synonyms
from yorisoi.faq.resources import Resource

__all__ = [
    "Category",
    "Entry",
    "FaqLibrary",
    "Match",
    "Matcher",
    "Resource",
    "SynonymGroup",
    "check_faq",
    "load_entries",
    "load_synonyms",
]
