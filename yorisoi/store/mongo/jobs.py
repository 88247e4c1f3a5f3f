"""The timed-jobs role on MongoDB: scheduling once per key, claiming due jobs under a lease."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from yorisoi.store.mongo.base import MongoBase, guarded
from yorisoi.store.mongo.documents import LIVE_JOBS, VISIBLE, Doc, db_time, from_doc, job_doc
from yorisoi.store.records import Job, JobStatus


class MongoJobs(MongoBase):
    """Durable timed jobs."""

    @guarded
    async def schedule_job(self, job: Job) -> bool:
        """Insert a job unless its id exists or a live job has the same key."""
        doc = job_doc(job)
        if job.key is not None and doc["status"] in LIVE_JOBS:
            doc["live_key"] = job.key
        try:
            await self._jobs.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    @guarded
    async def claim_due_jobs(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 20
    ) -> list[Job]:
        """Claim due pending jobs and running jobs whose lease ran out."""
        at = db_time(now)
        due: Doc = {
            "$or": [
                {"status": str(JobStatus.PENDING), "due_at": {"$lte": at}},
                {"status": str(JobStatus.RUNNING), "lease_until": {"$lte": at}},
            ],
            **VISIBLE,
        }
        claim = {
            "$set": {
                "status": str(JobStatus.RUNNING),
                "lease_owner": owner,
                "lease_until": db_time(lease_until),
            },
            "$inc": {"attempts": 1},
        }
        cursor = self._jobs.find(due, {"_id": 1}).sort("due_at", 1).limit(limit)
        claimed: list[Job] = []
        for candidate in await cursor.to_list(None):
            # The same condition again, on this one job: of two workers, one wins.
            doc = await self._jobs.find_one_and_update(
                {**due, "_id": candidate["_id"]}, claim, return_document=ReturnDocument.AFTER
            )
            if doc:
                claimed.append(from_doc(Job, doc))
        return sorted(claimed, key=lambda j: j.due_at)

    @guarded
    async def finish_job(self, job_id: str, status: JobStatus, error: str | None = None) -> None:
        """Mark a job done or failed; its key is free again."""
        update: Doc = {
            "$set": {
                "status": str(status),
                "last_error": error,
                "lease_owner": None,
                "lease_until": None,
            }
        }
        if str(status) not in LIVE_JOBS:
            update["$unset"] = {"live_key": ""}
        await self._jobs.update_one({"_id": job_id}, update)

    @guarded
    async def retry_job(self, job_id: str, due_at: datetime, error: str) -> None:
        """Put a claimed job back as pending (it keeps its live key)."""
        update = {
            "status": str(JobStatus.PENDING),
            "due_at": db_time(due_at),
            "last_error": error,
            "lease_owner": None,
            "lease_until": None,
        }
        await self._jobs.update_one({"_id": job_id}, {"$set": update})
