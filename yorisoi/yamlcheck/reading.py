"""Reading content files: UTF-8 text, then YAML whose mappings and lists know their lines.

A content file is read with a PyYAML SafeLoader subclass that builds mappings and lists which
remember the 1-based line of every key and item, and which notice duplicate keys (PyYAML itself
silently keeps the last one). The checks in `yorisoi.yamlcheck.values` then walk that data and
name the line of every problem.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from yorisoi.yamlcheck.problems import ContentProblem

__all__ = ["LineList", "LineMap", "read_content_file", "read_yaml"]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class LineMap(dict[Any, Any]):
    """A YAML mapping that remembers the line of each key and any duplicated keys."""

    __slots__ = ("duplicates", "key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        # (key, line of the first, line of the repeat) for keys written twice.
        self.duplicates: list[tuple[Any, int, int]] = []


class LineList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and sequences carry 1-based line numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # Key nodes written in each mapping, before `<<` merges are flattened into it: a merged
        # key overridden by an explicit one is YAML's intent, not a duplicate.
        self._explicit: dict[int, set[int]] = {}

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Remember the explicit keys of `node`, then apply its `<<` merges."""
        self._explicit.setdefault(
            id(node), {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
        )
        super().flatten_mapping(node)

    def construct_line_map(self, node: yaml.MappingNode) -> LineMap:
        """Build a mapping from `node`, recording key lines and duplicate keys."""
        self.flatten_mapping(node)
        explicit = self._explicit[id(node)]
        mapping = LineMap(node.start_mark.line + 1)
        explicit_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            line = key_node.start_mark.line + 1
            if id(key_node) in explicit:
                if key in explicit_lines:
                    mapping.duplicates.append((key, explicit_lines[key], line))
                explicit_lines[key] = line
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = line
        return mapping

    def construct_line_list(self, node: yaml.SequenceNode) -> LineList:
        """Build a list from `node`, recording the line of each item."""
        items = LineList(node.start_mark.line + 1)
        for child in node.value:
            items.append(self.construct_object(child, deep=True))
            items.item_lines.append(child.start_mark.line + 1)
        return items


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_line_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_line_list)


def read_yaml(text: str, file: str) -> tuple[Any, ContentProblem | None]:
    """Parse `text` into line-carrying data, or return the YAML syntax problem."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as exc:
        # Raised for a character YAML forbids; the position is an exact index into `text`.
        line = text.count("\n", 0, exc.position) + 1
        return None, ContentProblem(file, line, f"invalid YAML: {exc.reason} {exc.character!r}")
    try:
        return loader.get_single_data(), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = ""
        if exc.context and exc.context_mark and exc.problem_mark:
            where = f"{exc.context} (line {exc.context_mark.line + 1}): "
        elif exc.context:
            where = f"{exc.context}: "
        line = mark.line + 1 if mark else 1
        return None, ContentProblem(file, line, f"invalid YAML: {where}{exc.problem}")
    except ValueError as exc:
        # PyYAML builds an unquoted 2026-02-30 as a date and fails outside its error marks.
        return None, _impossible_date(text, file, exc)
    finally:
        loader.dispose()


_DATE_LIKE = re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])")


def _impossible_date(text: str, file: str, exc: ValueError) -> ContentProblem:
    """Return the problem for a value PyYAML could not build, found by line where we can."""
    for number, line_text in enumerate(text.splitlines(), 1):
        for match in _DATE_LIKE.finditer(line_text.split("#", 1)[0]):
            try:
                date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return ContentProblem(file, number, f"{match[0]} is not a date: {exc}")
    return ContentProblem(file, 1, f"invalid YAML value: {exc}")


def read_content_file(path: Path) -> str | ContentProblem:
    """Return the UTF-8 text of a content file, or the problem that stops it being read.

    Every content loader (flows, hours, FAQ, catalog, crisis contacts and texts) reads its
    files through here, so an unreadable or mis-encoded file is reported the same way.
    """
    try:
        source = path.read_bytes()
    except OSError as exc:
        return ContentProblem(str(path), 0, f"cannot read the file: {exc.strerror or exc}")
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{source[exc.start]:02x}); save the file as UTF-8"
        return ContentProblem(str(path), line, message)
