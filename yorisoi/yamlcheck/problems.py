"""What a refused content file reports: one `ContentProblem` per mistake, `file:line: reason`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ContentInvalid", "ContentProblem"]


@dataclass(frozen=True, slots=True)
class ContentProblem:
    """One reason a content file was refused; `line` is 1-based, 0 when no line applies."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentInvalid(Exception):
    """Raised when a content file fails validation; carries every problem, not just the first."""

    def __init__(self, problems: Iterable[ContentProblem]) -> None:
        self.problems: list[ContentProblem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[type[ContentInvalid], tuple[list[ContentProblem]]]:
        # Exception pickles its args (here the joined text); rebuild from the problems instead.
        return (type(self), (self.problems,))
