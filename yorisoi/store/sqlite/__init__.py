"""The embedded store: SQLite through aiosqlite, one file under ``var/``, no server.

One module per role of the port (``inbox``, ``conversations``, ``cases``, ``outbox``,
``jobs``, ``staff``, ``content``, ``audit``), each a class built on ``SQLiteBase``
(``connection.py``: the two connections and the group-commit write queue) and
``SQLiteStore`` composing them all. Mixins rather than a class per role holding a shared
connection: a turn's transaction spans several roles' tables (conversations, messages,
outbox, jobs, inbox), and one object keeps one write queue, so that group commit still
batches every caller. The schema and its migration live in ``schema.py``, the
row-to-record readers in ``rows.py``.
"""

from __future__ import annotations

from yorisoi.store.sqlite.audit import SQLiteAudit
from yorisoi.store.sqlite.cases import SQLiteCases
from yorisoi.store.sqlite.content import SQLiteContent
from yorisoi.store.sqlite.conversations import SQLiteConversations
from yorisoi.store.sqlite.inbox import SQLiteInbox
from yorisoi.store.sqlite.jobs import SQLiteJobs
from yorisoi.store.sqlite.outbox import SQLiteOutbox
from yorisoi.store.sqlite.staff import SQLiteStaff

__all__ = ["SQLiteStore"]


class SQLiteStore(
    SQLiteInbox,
    SQLiteConversations,
    SQLiteCases,
    SQLiteOutbox,
    SQLiteJobs,
    SQLiteStaff,
    SQLiteContent,
    SQLiteAudit,
):
    """The Store port on one SQLite file."""
