"""The MongoDB adapter of the storage port, through motor.

Every driver call of yorisoi lives in this package, so that the move from motor (deprecated)
to PyMongo's own ``AsyncMongoClient`` touches nothing else. One module per role of the port
(``inbox``, ``conversations``, ``cases``, ``outbox``, ``jobs``, ``staff``, ``content``,
``audit``), each a class built on ``MongoBase`` (``base.py``: client, collections, indexes,
error translation), composed into ``MongoStore``; ``turns.py`` commits a turn without
transactions (stage, compare-and-set, release) and recovers turns a crash left open, which
the inbox, the conversation loads and the purge all rely on. ``documents.py`` maps records
to documents and back.
"""

from __future__ import annotations

from yorisoi.store.mongo.audit import MongoAudit
from yorisoi.store.mongo.cases import MongoCases
from yorisoi.store.mongo.content import MongoContent
from yorisoi.store.mongo.conversations import MongoConversations
from yorisoi.store.mongo.inbox import MongoInbox
from yorisoi.store.mongo.jobs import MongoJobs
from yorisoi.store.mongo.outbox import MongoOutbox
from yorisoi.store.mongo.staff import MongoStaff

__all__ = ["MongoStore"]


class MongoStore(
    MongoInbox,
    MongoConversations,
    MongoCases,
    MongoOutbox,
    MongoJobs,
    MongoStaff,
    MongoContent,
    MongoAudit,
):
    """The Store port on a MongoDB database."""
