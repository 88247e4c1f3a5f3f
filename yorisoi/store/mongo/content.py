"""The content role on MongoDB: versions of admin-editable files, one active per file."""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from yorisoi.store.mongo.base import MongoBase, guarded
from yorisoi.store.mongo.documents import aware, db_time, from_doc, to_doc
from yorisoi.store.records import ContentVersion


class MongoContent(MongoBase):
    """Content versions."""

    @guarded
    async def save_content_version(
        self, kind: str, name: str, body: str, sha256: str, source: str, now: datetime
    ) -> ContentVersion:
        """Store the next version of a content file and make it the active one."""
        same_file = {"kind": kind, "name": name}
        while True:
            top = await self._content.find(same_file, {"version": 1}).sort("version", -1).to_list(1)
            version = (int(top[0]["version"]) if top else 0) + 1
            saved = ContentVersion(
                kind, name, version, body, sha256, source, aware(db_time(now)), True
            )
            try:
                await self._content.insert_one(to_doc(saved, None))
            except DuplicateKeyError:
                continue  # another admin saved this file at the same moment: take the next number
            break
        # Insert, then deactivate only older versions: there is never a moment without an
        # active version, and of two concurrent saves the newer one stays active.
        await self._content.update_many(
            {**same_file, "version": {"$lt": version}}, {"$set": {"active": False}}
        )
        return saved

    @guarded
    async def active_content(self, kind: str) -> list[ContentVersion]:
        """Return the active version of each file of a kind, by name."""
        cursor = self._content.find({"kind": kind, "active": True}).sort(
            [("name", 1), ("version", -1)]
        )
        latest: dict[str, ContentVersion] = {}
        for doc in await cursor.to_list(None):
            # Between a save's insert and its deactivation, two versions may be active.
            latest.setdefault(doc["name"], from_doc(ContentVersion, doc, None))
        return list(latest.values())

    @guarded
    async def content_versions(self, kind: str, name: str) -> list[ContentVersion]:
        """Return all versions of one content file, newest first."""
        cursor = self._content.find({"kind": kind, "name": name}).sort("version", -1)
        return [from_doc(ContentVersion, d, None) for d in await cursor.to_list(None)]
