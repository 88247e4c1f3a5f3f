"""The conversation role on MongoDB: loading conversations and their log."""

from __future__ import annotations

from typing import Any

from yorisoi.store.mongo.base import guarded
from yorisoi.store.mongo.documents import VISIBLE, conversation_from, from_doc
from yorisoi.store.mongo.turns import MongoTurns
from yorisoi.store.records import Conversation, LoggedMessage


class MongoConversations(MongoTurns):
    """Conversations (each load first finishes a turn a crash left open) and their log."""

    async def _conversation_where(self, query: dict[str, Any]) -> Conversation | None:
        """Return the conversation matching `query`, first finishing a turn a crash left open."""
        doc = await self._conversations.find_one(query)
        if doc is None:
            return None
        await self._finish_turns(doc)
        return conversation_from(doc)

    @guarded
    async def load_conversation(self, user_id: str) -> Conversation | None:
        """Return the user's conversation, first finishing a turn a crash left open."""
        return await self._conversation_where({"_id": user_id})

    @guarded
    async def conversation_by_ref(self, ref: str) -> Conversation | None:
        """Return the conversation with this staff-facing id."""
        return await self._conversation_where({"ref": ref})

    @guarded
    async def is_blocked(self, user_id: str) -> bool:
        """True if the user unfollowed and has not followed again."""
        doc = await self._conversations.find_one({"_id": user_id}, {"blocked": 1})
        return bool(doc and doc.get("blocked"))

    @guarded
    async def conversation_messages(self, user_id: str, limit: int = 200) -> list[LoggedMessage]:
        """Return the newest log entries of a conversation, oldest first."""
        cursor = self._messages.find({"user_id": user_id, **VISIBLE})
        cursor = cursor.sort([("version", -1), ("pos", -1)]).limit(limit)
        return [from_doc(LoggedMessage, d) for d in reversed(await cursor.to_list(None))]
