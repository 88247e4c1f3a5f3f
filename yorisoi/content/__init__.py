"""Admin-editable content: the flows, texts, FAQ, hours, shifts, catalog and safety net in force.

`ContentLibrary` (library.py) serves what the bot runs and reloads it; each kind of content is
read, checked and kept-or-replaced the same way (kinds.py); `check_content` (check.py) checks a
content folder for `yorisoi check`. Reading and checking single files is `yorisoi.yamlcheck`.
"""

from yorisoi.content.check import DEFAULT_FLOW, check_content, content_notes
from yorisoi.content.kinds import ContentError
from yorisoi.content.library import ContentLibrary, ReloadReport
from yorisoi.yamlcheck import ContentInvalid, ContentProblem

__all__ = [
    "DEFAULT_FLOW",
    "ContentError",
    "ContentInvalid",
    "ContentLibrary",
    "ContentProblem",
    "ReloadReport",
    "check_content",
    "content_notes",
]
