"""The staff role on MongoDB: accounts, presence, on-duty switch and sessions."""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from yorisoi.store.mongo.base import MongoBase, guarded
from yorisoi.store.mongo.documents import db_time, from_doc, to_doc
from yorisoi.store.records import AlreadyExists, StaffMember, StaffSession


class MongoStaff(MongoBase):
    """Staff members and their sessions."""

    @guarded
    async def add_staff(self, member: StaffMember) -> None:
        """Insert a staff member; AlreadyExists if the login (or id) is taken."""
        try:
            await self._staff.insert_one(to_doc(member))
        except DuplicateKeyError as exc:
            raise AlreadyExists(f"staff login {member.login!r} is taken") from exc

    @guarded
    async def staff_by_login(self, login: str) -> StaffMember | None:
        """Return the staff member with this login."""
        doc = await self._staff.find_one({"login": login})
        return from_doc(StaffMember, doc) if doc else None

    @guarded
    async def staff_by_id(self, staff_id: str) -> StaffMember | None:
        """Return the staff member with this id."""
        doc = await self._staff.find_one({"_id": staff_id})
        return from_doc(StaffMember, doc) if doc else None

    @guarded
    async def list_staff(self) -> list[StaffMember]:
        """Return all staff by login."""
        return [
            from_doc(StaffMember, d)
            for d in await self._staff.find().sort("login", 1).to_list(None)
        ]

    @guarded
    async def set_on_duty(self, staff_id: str, on_duty: bool) -> None:
        """Record the on-duty switch."""
        await self._staff.update_one({"_id": staff_id}, {"$set": {"on_duty": on_duty}})

    @guarded
    async def touch_staff(self, staff_id: str, at: datetime) -> None:
        """Record when the staff member was last present."""
        await self._staff.update_one({"_id": staff_id}, {"$set": {"last_seen_at": db_time(at)}})

    @guarded
    async def create_session(self, session: StaffSession) -> None:
        """Insert a session (and drop expired ones while at it)."""
        await self._sessions.delete_many({"expires_at": {"$lte": db_time(session.created_at)}})
        await self._sessions.insert_one(to_doc(session, id_field="token_hash"))

    @guarded
    async def get_session(self, token_hash: str, now: datetime) -> StaffSession | None:
        """Return a live session."""
        doc = await self._sessions.find_one(
            {"_id": token_hash, "expires_at": {"$gt": db_time(now)}}
        )
        return from_doc(StaffSession, doc, id_field="token_hash") if doc else None

    @guarded
    async def delete_session(self, token_hash: str) -> None:
        """Delete a session."""
        await self._sessions.delete_one({"_id": token_hash})
