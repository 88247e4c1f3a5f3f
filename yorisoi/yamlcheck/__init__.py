"""Reading and checking content files, with `file:line: reason` for every problem.

The toolkit every content loader shares (flows, hours, shifts, the FAQ, the catalog, crisis
contacts and texts, the lexicon): `reading` parses YAML into mappings and lists that know their
lines, `values` checks typed values into a file's `Problems`, `files` runs a builder over a
whole file, and `problems` holds the one problem type, `ContentProblem`.

It is a package of its own, below everything that loads content, so that `yorisoi.content`
(which loads every kind of content) can import the loaders while they import this.
"""

from yorisoi.yamlcheck.files import check_content_file, load_content, validate_content
from yorisoi.yamlcheck.problems import ContentInvalid, ContentProblem
from yorisoi.yamlcheck.reading import LineList, LineMap, read_content_file, read_yaml
from yorisoi.yamlcheck.values import (
    Problems,
    as_date,
    as_list,
    as_mapping,
    as_text,
    check_keys,
    describe_value,
    listed,
    nonblank_text,
    top_mapping,
    unique_ids,
    unique_items,
)

__all__ = [
    "ContentInvalid",
    "ContentProblem",
    "LineList",
    "LineMap",
    "Problems",
    "as_date",
    "as_list",
    "as_mapping",
    "as_text",
    "check_content_file",
    "check_keys",
    "describe_value",
    "listed",
    "load_content",
    "nonblank_text",
    "read_content_file",
    "read_yaml",
    "top_mapping",
    "unique_ids",
    "unique_items",
    "validate_content",
]
